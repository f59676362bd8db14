namespace GridMap.IO.Osm;

/// <summary>
/// How much one OSM extract may make the reader hold. A PBF is checked blob by blob (<see cref="OsmPbfGuard"/>) before
/// OsmSharp decodes any of it; XML is counted as it is read. Defaults fit a large city extract (Chengdu's centre is
/// about 60,000 elements) with room to spare; docs/security.md lists them.
/// </summary>
public sealed record OsmLimits
{
    /// <summary>Bytes of the file (an upload beyond it is 413 before it is read).</summary>
    public long MaxBytes { get; init; } = 256L << 20;

    /// <summary>Nodes + ways + relations in the whole file: the reader keeps every node's coordinate and every way.</summary>
    public long MaxElements { get; init; } = 4_000_000;

    /// <summary>
    /// Bytes a PBF blob may hold once inflated, whatever its <c>raw_size</c> says (the PBF format's own maximum is 32 MiB;
    /// writers keep under 16 MiB). Inflation stops at this many bytes.
    /// </summary>
    public int MaxBlobBytes { get; init; } = 32 << 20;

    /// <summary>Entries in one PBF block's string table (real writers stay under a few ten thousand).</summary>
    public int MaxStringsPerBlock { get; init; } = 100_000;

    /// <summary>Nodes (dense or not), ways and relations in one PBF block (writers put 8,000).</summary>
    public int MaxElementsPerBlock { get; init; } = 100_000;

    /// <summary>
    /// Integers one PBF block may hold (ids, coordinates, tag indexes, way nodes, relation members), counted from above by
    /// the bytes that end a varint: each becomes 8 bytes or more once decoded.
    /// </summary>
    public int MaxIntegersPerBlock { get; init; } = 8_000_000;
}

/// <summary>
/// An extract the importer refuses as a whole: too large for a limit (<see cref="TooLarge"/>: HTTP 413) or breaking a rule
/// (HTTP 422). <see cref="Code"/> is the contract's snake_case error code; <see cref="Parameters"/> name the limit and
/// what was found.
/// </summary>
public sealed class OsmRefusedException(string code, string message, bool tooLarge, IReadOnlyDictionary<string, object?>? parameters = null)
    : Exception(message)
{
    public string Code { get; } = code;
    public bool TooLarge { get; } = tooLarge;
    public IReadOnlyDictionary<string, object?> Parameters { get; } = parameters ?? new Dictionary<string, object?>();

    public static OsmRefusedException Limit(string what, long limit, string message, long? found = null) =>
        new("too_large", message, true, new Dictionary<string, object?> { ["limit_name"] = what, ["limit"] = limit, ["found"] = found });
}
