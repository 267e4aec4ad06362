package launcher;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

/**
 * Starts {@code app.Main} the way {@code mvn exec:java} starts a program: the application and Offload on a class
 * loader of their own (not on {@code java.class.path}), {@code main} on a thread whose context class loader is it.
 * Arguments: {@code one}, {@code split} or {@code opaque}, Offload's location, the application's. With {@code split},
 * Offload has a loader of its own and the application's loader is its child, as in a host that loads plugins; with
 * {@code opaque}, one loader that is no {@code URLClassLoader} and does not say where its classes come from.
 */
public final class Launch {
    private Launch() {}

    public static void main(String[] args) throws Exception {
        URL offload = Path.of(args[1]).toUri().toURL();
        URL app = Path.of(args[2]).toUri().toURL();
        URLClassLoader both = new URLClassLoader(new URL[] {offload, app}, ClassLoader.getPlatformClassLoader());
        ClassLoader loader = args[0].equals("split")
                ? new URLClassLoader(new URL[] {app}, new URLClassLoader(new URL[] {offload},
                        ClassLoader.getPlatformClassLoader()))
                : args[0].equals("opaque") ? new Opaque(both) : both;
        Method main = loader.loadClass("app.Main").getMethod("main", String[].class);
        Throwable[] failure = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                main.invoke(null, (Object) new String[0]);
            } catch (ReflectiveOperationException e) {
                failure[0] = e.getCause() == null ? e : e.getCause();
            }
        }, "app-main");
        t.setContextClassLoader(loader);
        t.start();
        t.join();
        if (failure[0] != null) {
            failure[0].printStackTrace();
            System.exit(1);
        }
    }

    /** Defines the classes of another loader's jars and directories as its own, without saying where from. */
    private static final class Opaque extends ClassLoader {
        private final URLClassLoader source;

        Opaque(URLClassLoader source) {
            super(ClassLoader.getPlatformClassLoader());
            this.source = source;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            try (java.io.InputStream in = source.getResourceAsStream(name.replace('.', '/') + ".class")) {
                if (in == null) {
                    throw new ClassNotFoundException(name);
                }
                byte[] bytes = in.readAllBytes();
                return defineClass(name, bytes, 0, bytes.length);
            } catch (java.io.IOException e) {
                throw new ClassNotFoundException(name, e);
            }
        }

        @Override
        protected URL findResource(String name) {
            return source.getResource(name);
        }

        @Override
        protected java.util.Enumeration<URL> findResources(String name) throws java.io.IOException {
            return source.getResources(name);
        }
    }
}
