package dev.offload.coroutines.internal

/**
 * Checks that an optional library Offload declares (but does not bring) is on the classpath, so that a feature built
 * on it fails at once with what to add, not with a `NoClassDefFoundError` from the middle of a map.
 */
internal fun requireOptionalLibrary(className: String, feature: String, coordinates: String, loader: ClassLoader?) {
    try {
        Class.forName(className, false, loader)
    } catch (e: ClassNotFoundException) {
        throw IllegalStateException(
            "$feature needs the library $coordinates, which is not on the classpath: add it to your dependencies " +
                "(Offload declares it optional)",
            e,
        )
    } catch (e: LinkageError) {
        throw IllegalStateException("$feature needs the library $coordinates, which failed to load: $e", e)
    }
}
