package dev.offload.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * What Maven Central needs, checked without publishing: the published modules' POM metadata, their sources and
 * javadoc jars (built by {@code package}, which runs before this module's tests in a reactor build), the BOM, and
 * this module staying unpublished. Runs from the examples module because every published module is built by then.
 */
class PublicationTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void parentPomCarriesTheMetadataCentralRequires() throws Exception {
        Element project = pom(ROOT.resolve("pom.xml"));
        for (String tag : List.of("name", "description", "url")) {
            assertFalse(text(project, tag).isBlank(), "parent POM has no <" + tag + ">");
        }
        assertEquals("Apache-2.0", text(child(child(project, "licenses"), "license"), "name"));
        assertFalse(text(child(child(project, "developers"), "developer"), "name").isBlank());
        Element scm = child(project, "scm");
        for (String tag : List.of("connection", "developerConnection", "url")) {
            assertFalse(text(scm, tag).isBlank(), "<scm> has no <" + tag + ">");
        }
        assertTrue(Files.readString(ROOT.resolve("LICENSE")).contains("Apache License"), "LICENSE");
    }

    @Test
    void bomManagesExactlyThePublishedModulesAtTheProjectVersion() throws Exception {
        Element parent = pom(ROOT.resolve("pom.xml"));
        Element bom = pom(ROOT.resolve("bom/pom.xml"));
        assertEquals("offload-bom", text(bom, "artifactId"));
        assertEquals(text(parent, "version"), text(bom, "version"), "the BOM's version follows the project's");
        assertEquals(text(parent, "url"), text(bom, "url"));
        List<String> managed = new ArrayList<>();
        for (Element d : children(child(child(bom, "dependencyManagement"), "dependencies"), "dependency")) {
            managed.add(text(d, "groupId") + ":" + text(d, "artifactId") + ":" + text(d, "version"));
        }
        assertEquals(List.of("dev.offload:offload-core:${project.version}",
                "dev.offload:offload-coroutines:${project.version}"), managed);
    }

    @Test
    void examplesAreNotDeployed() throws Exception {
        Element properties = child(pom(ROOT.resolve("examples/pom.xml")), "properties");
        assertEquals("true", text(properties, "maven.deploy.skip"));
    }

    @Test
    void publishedModulesHaveSourcesAndJavadocJars() throws Exception {
        String version = text(pom(ROOT.resolve("pom.xml")), "version");
        Path core = ROOT.resolve("core/target/offload-core-" + version);
        Path coroutines = ROOT.resolve("coroutines/target/offload-coroutines-" + version);
        Assumptions.assumeTrue(Files.exists(Path.of(core + ".jar")) && Files.exists(Path.of(coroutines + ".jar")),
                "the modules are not packaged (mvn test rather than mvn verify)");

        assertTrue(entries(core + "-sources.jar").containsAll(List.of("module-info.java",
                "dev/offload/WorkerContext.java")));
        List<String> javadoc = entries(core + "-javadoc.jar");
        assertTrue(javadoc.containsAll(List.of("index.html", "dev.offload/dev/offload/WorkerContext.html")),
                "core javadoc jar: " + javadoc.size() + " entries");
        assertTrue(javadoc.stream().noneMatch(e -> e.contains("/internal/") && e.endsWith(".html")),
                "internal packages are not documented");

        assertTrue(entries(coroutines + "-sources.jar").contains("dev/offload/coroutines/RunSync.kt"));
        List<String> kdoc = entries(coroutines + "-javadoc.jar");
        assertTrue(kdoc.contains("index.html"), "coroutines javadoc jar (Dokka HTML): " + kdoc.size() + " entries");
        assertTrue(kdoc.stream().anyMatch(e -> e.contains("dev.offload.coroutines/run-sync")), "KDoc of runSync");
        try (JarFile jar = new JarFile(coroutines + ".jar")) {
            assertEquals("dev.offload.coroutines",
                    jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name"));
        }
    }

    private static List<String> entries(String jar) throws IOException {
        try (JarFile j = new JarFile(jar)) {
            return j.stream().map(e -> e.getName()).collect(Collectors.toList());
        }
    }

    private static Element pom(Path file) throws Exception {
        Document d = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
        return d.getDocumentElement();
    }

    private static Element child(Element e, String tag) {
        List<Element> c = children(e, tag);
        assertFalse(c.isEmpty(), "<" + e.getTagName() + "> has no <" + tag + ">");
        return c.get(0);
    }

    private static List<Element> children(Element e, String tag) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element && ((Element) n).getTagName().equals(tag)) {
                out.add((Element) n);
            }
        }
        return out;
    }

    private static String text(Element e, String tag) {
        return child(e, tag).getTextContent().trim();
    }
}
