/** A tiny modular application that uses Offload from the module path (compiled and run by ModularAppTest). */
module example.app {
    requires dev.offload;

    // Offload reads the method behind a method reference reflectively.
    opens example.app to dev.offload;
}
