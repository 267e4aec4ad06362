package dev.offload.examples.bench.micro;

import java.io.Serializable;

/** The Java twin of {@link KPoint}: a record, which the Java codec sends with JDK serialization. */
public record JPoint(double x, double y, String label) implements Serializable {
}
