using System.Text;
using System.Text.Json.Nodes;

namespace GridMap.Core.Schema;

/// <summary>
/// What text the store takes, the same on both stores: well-formed Unicode (no lone UTF-16 surrogate, which neither
/// store nor a JSON writer can encode) without NUL (PostgreSQL's text and jsonb refuse it; SQLite would keep it), and
/// bounded lengths. Checked once, before any store sees the input.
/// </summary>
public static class TextRules
{
    /// <summary>Longest property value (characters), as the schema's text properties always had.</summary>
    public const int MaxValueLength = 4000;

    /// <summary>Longest property name.</summary>
    public const int MaxKeyLength = 128;

    /// <summary>Most properties (keys at every depth) per feature.</summary>
    public const int MaxKeys = 1000;

    /// <summary>The stable code of a text refusal (422).</summary>
    public const string InvalidText = "invalid_text";

    /// <summary>Why this text cannot be stored; null when it can.</summary>
    public static string? Problem(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return $"holds a NUL character (U+0000) at position {i}";
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return $"holds a lone UTF-16 surrogate (U+{(int)c:X4}) at position {i}: not Unicode text";
        }
        return null;
    }

    /// <summary>The first text problem anywhere in a property tree (keys and values), with its path below <paramref name="at"/>.</summary>
    public static (string Field, string Message, string Code)? FirstProblem(JsonObject properties, string at = "properties")
    {
        var keys = 0;
        return Walk(properties, at, ref keys);
    }

    static (string, string, string)? Walk(JsonNode? node, string at, ref int keys)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (++keys > MaxKeys) return (at, $"holds more than {MaxKeys:N0} properties", "too_many_properties");
                    var here = $"{at}.{key}";
                    if (Problem(key) is { } bad) return (at, $"a property name {bad}", InvalidText);
                    if (key.Length > MaxKeyLength) return (here, $"the property name is longer than {MaxKeyLength} characters", "too_long");
                    if (Walk(value, here, ref keys) is { } found) return found;
                }
                return null;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                    if (Walk(a[i], $"{at}[{i}]", ref keys) is { } found) return found;
                return null;
            case JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String:
                var s = v.GetValue<string>();
                if (Problem(s) is { } problem) return (at, problem, InvalidText);
                if (s.Length > MaxValueLength) return (at, $"is longer than {MaxValueLength:N0} characters ({s.Length:N0})", "too_long");
                return null;
            default:
                return null;
        }
    }
}
