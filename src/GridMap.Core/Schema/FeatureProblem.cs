namespace GridMap.Core.Schema;

/// <summary>
/// What is wrong with one field of one feature: <c>Index</c> is its place in the upload, <c>Field</c> a path such as
/// <c>properties.households</c>; <c>Code</c> the stable snake_case code of a rule it breaks (null: it cannot be read as
/// the schema says, <c>invalid_value</c>).
/// </summary>
public sealed record FeatureProblem(int? Index, string? FeatureId, string Field, string Message, string? Code = null)
{
    /// <summary>Where the problem is, e.g. <c>features[3].properties.households</c>.</summary>
    public string Pointer => Index is { } i ? $"features[{i}].{Field}" : Field;
}

/// <summary>Thrown by stores and services when input is refused; nothing has been written.</summary>
public sealed class InvalidFeaturesException(IReadOnlyList<FeatureProblem> problems)
    : Exception(problems.Count == 0 ? "invalid input" : $"{problems[0].Pointer}: {problems[0].Message}")
{
    public IReadOnlyList<FeatureProblem> Problems { get; } = problems;
}
