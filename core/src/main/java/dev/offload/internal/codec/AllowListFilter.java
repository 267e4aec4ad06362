package dev.offload.internal.codec;

import java.io.ObjectInputFilter;
import java.util.Set;

/**
 * The deserialization allow-list of {@link JavaCodec}: JDK value types (boxed primitives, String, big numbers,
 * java.time, the standard collections), any record, any enum, arrays of those, and what the user allows with
 * an {@link ObjectInputFilter.Config#createFilter} pattern. Everything else is rejected, so a stream cannot
 * instantiate a gadget class.
 */
final class AllowListFilter implements ObjectInputFilter {
    private static final Set<String> JDK_CLASSES = Set.of(
            "java.lang.String", "java.lang.Boolean", "java.lang.Byte", "java.lang.Short", "java.lang.Character",
            "java.lang.Integer", "java.lang.Long", "java.lang.Float", "java.lang.Double", "java.lang.Number",
            "java.lang.Enum", "java.math.BigInteger", "java.math.BigDecimal", "java.util.UUID",
            "java.util.ArrayList", "java.util.LinkedList", "java.util.ArrayDeque", "java.util.HashMap",
            "java.util.LinkedHashMap", "java.util.TreeMap", "java.util.HashSet", "java.util.LinkedHashSet",
            "java.util.TreeSet", "java.util.EnumMap", "java.util.BitSet", "java.util.CollSer",
            "java.util.ImmutableCollections$ListN", "java.util.ImmutableCollections$List12",
            "java.util.ImmutableCollections$SetN", "java.util.ImmutableCollections$Set12",
            "java.util.ImmutableCollections$MapN", "java.util.ImmutableCollections$Map1",
            "java.util.Arrays$ArrayList", "java.util.AbstractMap$SimpleEntry",
            "java.util.AbstractMap$SimpleImmutableEntry", "java.util.Collections$ReverseComparator",
            "java.util.Collections$ReverseComparator2", "java.lang.String$CaseInsensitiveComparator",
            "java.time.Ser",
            // what the Collections factories return
            "java.util.Collections$EmptyList", "java.util.Collections$EmptySet", "java.util.Collections$EmptyMap",
            "java.util.Collections$SingletonList", "java.util.Collections$SingletonSet",
            "java.util.Collections$SingletonMap", "java.util.Collections$UnmodifiableCollection",
            "java.util.Collections$UnmodifiableList", "java.util.Collections$UnmodifiableRandomAccessList",
            "java.util.Collections$UnmodifiableSet", "java.util.Collections$UnmodifiableSortedSet",
            "java.util.Collections$UnmodifiableNavigableSet", "java.util.Collections$UnmodifiableMap",
            "java.util.Collections$UnmodifiableSortedMap", "java.util.Collections$UnmodifiableNavigableMap",
            "java.util.Collections$SynchronizedCollection", "java.util.Collections$SynchronizedList",
            "java.util.Collections$SynchronizedRandomAccessList", "java.util.Collections$SynchronizedSet",
            "java.util.Collections$SynchronizedSortedSet", "java.util.Collections$SynchronizedNavigableSet",
            "java.util.Collections$SynchronizedMap", "java.util.Collections$SynchronizedSortedMap",
            "java.util.Collections$SynchronizedNavigableMap",
            "java.util.EnumSet", "java.util.EnumSet$SerializationProxy", "java.util.RegularEnumSet",
            "java.util.JumboEnumSet",
            // the other standard collections, and the lock a ConcurrentHashMap writes for compatibility
            "java.util.Vector", "java.util.Stack", "java.util.Hashtable", "java.util.IdentityHashMap",
            "java.util.PriorityQueue",
            "java.util.concurrent.ConcurrentHashMap", "java.util.concurrent.ConcurrentHashMap$Segment",
            "java.util.concurrent.locks.ReentrantLock", "java.util.concurrent.locks.ReentrantLock$Sync",
            "java.util.concurrent.locks.ReentrantLock$NonfairSync",
            "java.util.concurrent.locks.AbstractQueuedSynchronizer",
            "java.util.concurrent.locks.AbstractOwnableSynchronizer",
            "java.util.concurrent.ConcurrentSkipListMap", "java.util.concurrent.ConcurrentSkipListSet",
            "java.util.concurrent.CopyOnWriteArrayList", "java.util.concurrent.CopyOnWriteArraySet",
            "java.util.concurrent.ConcurrentLinkedQueue", "java.util.concurrent.ConcurrentLinkedDeque");
    private static final int MAX_DEPTH = 200;
    /** What {@link #rejected()} says when a graph is too deep (not a class name). */
    static final String TOO_DEEP = "an object graph nested deeper than " + MAX_DEPTH + " levels";

    private final ObjectInputFilter userFilter;
    private String rejected;

    AllowListFilter(ObjectInputFilter userFilter) {
        this.userFilter = userFilter;
    }

    @Override
    public Status checkInput(FilterInfo info) {
        if (info.depth() > MAX_DEPTH) {
            rejected = TOO_DEEP;
            return Status.REJECTED;
        }
        Class<?> c = info.serialClass();
        if (c == null) {
            return Status.UNDECIDED;
        }
        if (allowed(c, userFilter, info)) {
            return Status.ALLOWED;
        }
        rejected = c.getName();
        return Status.REJECTED;
    }

    /** The class (or limit) that made the last read fail, or {@code null}. */
    String rejected() {
        return rejected;
    }

    static boolean allowed(Class<?> c, ObjectInputFilter userFilter, FilterInfo info) {
        boolean array = c.isArray();
        while (c.isArray()) {
            c = c.getComponentType();
        }
        if (array && (c.isInterface() || java.lang.reflect.Modifier.isAbstract(c.getModifiers()))) {
            return true; // only the array is created; each element is checked on its own
        }
        if (c.isPrimitive() || c == Object.class || c.isRecord() || c.isEnum()
                || JDK_CLASSES.contains(c.getName()) || c.getName().startsWith("java.time.")) {
            return true;
        }
        if (c.getSuperclass() != null && c.getSuperclass().isEnum()) {
            return true; // a constant with a body
        }
        return userFilter != null && userFilter.checkInput(info == null ? new ClassOnly(c) : info) == Status.ALLOWED;
    }

    /** Filter input for checking a class when writing, where there is no stream yet. */
    private static final class ClassOnly implements FilterInfo {
        private final Class<?> c;

        ClassOnly(Class<?> c) {
            this.c = c;
        }

        @Override
        public Class<?> serialClass() {
            return c;
        }

        @Override
        public long arrayLength() {
            return -1;
        }

        @Override
        public long depth() {
            return 1;
        }

        @Override
        public long references() {
            return 1;
        }

        @Override
        public long streamBytes() {
            return 0;
        }
    }
}
