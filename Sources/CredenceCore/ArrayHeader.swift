/// Where a native Swift array's header lies, for the look-ahead's prefetch hints: on 64-bit
/// platforms its elements follow a header of ``bytes`` (the object's header, then the count and
/// the capacity). Every access reads the count and every write checks the reference count, so a
/// hint for an array's first element, made a few events before it is touched, asks for the
/// header too: for most arrays the header lies in the line before the first element. Only hints
/// use it: a wrong value would cost a miss, never a wrong result.
@usableFromInline
package enum ArrayHeader {
    @usableFromInline package static let bytes = 32
}
