package dev.offload.testing;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Lists a module's public API (public and protected members of public classes outside {@code .internal.}
 * packages), one line each, sorted: what a committed {@code api/*.api} file is compared with.
 */
public final class PublicApi {
    private PublicApi() {}

    public static String dump(Path classes) throws IOException, ClassNotFoundException {
        List<String> lines = new ArrayList<>();
        List<String> names;
        try (Stream<Path> files = Files.walk(classes)) {
            names = files.filter(p -> p.toString().endsWith(".class"))
                    .map(p -> classes.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", ""))
                    .filter(n -> !n.contains(".internal.") && !n.endsWith("module-info") && !n.endsWith("package-info"))
                    .sorted()
                    .collect(Collectors.toList());
        }
        for (String name : names) {
            Class<?> c = Class.forName(name, false, PublicApi.class.getClassLoader());
            if (!Modifier.isPublic(c.getModifiers()) || c.isSynthetic() || c.isAnonymousClass()) {
                continue;
            }
            lines.add(c.toGenericString());
            List<String> members = new ArrayList<>();
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                add(members, k, k.toGenericString());
            }
            for (Method m : c.getDeclaredMethods()) {
                if (!m.isBridge()) {
                    add(members, m, m.toGenericString());
                }
            }
            for (Field f : c.getDeclaredFields()) {
                add(members, f, f.toGenericString());
            }
            members.stream().sorted().forEach(m -> lines.add("    " + m));
        }
        return String.join("\n", lines) + "\n";
    }

    private static void add(List<String> members, Member m, String text) {
        int mod = m.getModifiers();
        // Kotlin marks inline functions with reified type parameters synthetic: keep those, skip compiler plumbing.
        if ((Modifier.isPublic(mod) || Modifier.isProtected(mod)) && !m.getName().contains("$")
                && !(m.isSynthetic() && m.getName().startsWith("access"))) {
            members.add(text);
        }
    }
}
