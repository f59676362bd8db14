using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridMap.Core.Estimation;

/// <summary>
/// Reads <see cref="EstimationOptions"/> from JSON (<c>--estimation FILE.json</c>): property names as in the record
/// (case-insensitive, <c>snake_case</c> too). Numbers and booleans replace the default; a list replaces a set; an object
/// merges with a dictionary (its entries replace or add to the defaults). An unknown name or a wrong type is refused
/// with a message that names it.
/// </summary>
public static class EstimationOptionsJson
{
    static readonly PropertyInfo[] Settable = typeof(EstimationOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite)
        .ToArray();

    /// <summary>The option names a file may use.</summary>
    public static IReadOnlyList<string> Names => Settable.Select(p => p.Name).ToList();

    /// <exception cref="FormatException">the JSON is malformed, names an unknown option or gives a value of the wrong type.</exception>
    public static EstimationOptions Parse(string json, EstimationOptions? defaults = null)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON: {e.Message}");
        }
        if (root is not JsonObject obj) throw new FormatException("must be a JSON object of option names and values");

        var options = (defaults ?? EstimationOptions.Default) with { };
        foreach (var (name, value) in obj)
        {
            var property = Find(name)
                ?? throw new FormatException($"unknown option '{name}'; the options are: {string.Join(", ", Names)}");
            try
            {
                property.SetValue(options, Convert(property, value, property.GetValue(options)));
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or ArgumentException)
            {
                throw new FormatException($"option '{property.Name}': {e.Message}");
            }
        }
        try
        {
            _ = new System.Text.RegularExpressions.Regex(options.NumberedBuildingPattern);
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"option 'NumberedBuildingPattern': not a regular expression: {e.Message}");
        }
        return options;
    }

    static PropertyInfo? Find(string name)
    {
        var plain = name.Replace("_", "", StringComparison.Ordinal);
        return Settable.FirstOrDefault(p => string.Equals(p.Name, plain, StringComparison.OrdinalIgnoreCase));
    }

    static object Convert(PropertyInfo property, JsonNode? value, object? current)
    {
        var type = property.PropertyType;
        if (value is null) throw new FormatException("must not be null");
        if (type == typeof(double)) return Finite(value.GetValue<double>());
        if (type == typeof(int)) return value.GetValue<int>();
        if (type == typeof(bool)) return value.GetValue<bool>();
        if (type == typeof(string)) return value.GetValue<string>();
        if (type == typeof(IReadOnlySet<string>))
        {
            if (value is not JsonArray list) throw new FormatException("must be a list of strings");
            return new HashSet<string>(list.Select(v => v?.GetValue<string>() ?? throw new FormatException("must be a list of strings")), StringComparer.OrdinalIgnoreCase);
        }
        if (type == typeof(IReadOnlyDictionary<string, int>))
            return Merge((IReadOnlyDictionary<string, int>)current!, value, v => v.GetValue<int>());
        if (type == typeof(IReadOnlyDictionary<string, double>))
            return Merge((IReadOnlyDictionary<string, double>)current!, value, v => Finite(v.GetValue<double>()));
        throw new InvalidOperationException($"cannot be read from a file ({type.Name})");
    }

    static Dictionary<string, T> Merge<T>(IReadOnlyDictionary<string, T> defaults, JsonNode value, Func<JsonNode, T> read)
    {
        if (value is not JsonObject entries) throw new FormatException("must be an object of names and numbers (it merges with the defaults)");
        var merged = new Dictionary<string, T>(defaults, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, entry) in entries) merged[key] = read(entry ?? throw new FormatException($"'{key}' must not be null"));
        return merged;
    }

    static double Finite(double d) => double.IsFinite(d) ? d : throw new FormatException("must be a finite number");
}
