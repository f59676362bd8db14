using System.Globalization;

namespace GridMap.Server.Cli;

/// <summary>Verb, positional arguments and --options of a command line (`--name value` or `--name=value`; flags stand alone).</summary>
public sealed class CliArgs
{
    static readonly HashSet<string> Flags = ["replace", "no-sample", "help", "empty", "force", "open", "password-stdin", "can-edit-households"];

    public IReadOnlyList<string> Positional { get; }
    readonly Dictionary<string, string> _options;
    readonly List<(string Name, string Value)> _given;

    CliArgs(List<string> positional, Dictionary<string, string> options, List<(string, string)> given)
    {
        Positional = positional;
        _options = options;
        _given = given;
    }

    public static CliArgs Parse(IEnumerable<string> args)
    {
        var positional = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var given = new List<(string, string)>();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var a = e.Current;
            if (a is "-h") a = "--help";
            if (!a.StartsWith("--", StringComparison.Ordinal) || a == "--")
            {
                positional.Add(a);
                continue;
            }
            var name = a[2..];
            var eq = name.IndexOf('=');
            var (key, value) = eq >= 0 ? (name[..eq], name[(eq + 1)..])
                : Flags.Contains(name) ? (name, "true")
                : e.MoveNext() ? (name, e.Current)
                : throw new CliException($"--{name} needs a value");
            options[key] = value;
            given.Add((key, value));
        }
        return new CliArgs(positional, options, given);
    }

    /// <summary>The value of an option (the last one when it is given more than once).</summary>
    public string? Get(string name) => _options.GetValueOrDefault(name);

    /// <summary>Every value of a repeatable option, in order.</summary>
    public IReadOnlyList<string> GetAll(string name) => _given.Where(g => g.Name == name).Select(g => g.Value).ToList();

    public bool Has(string name) => _options.ContainsKey(name);

    public IEnumerable<string> Names => _options.Keys;

    public string Require(string name, string what) => Get(name) ?? throw new CliException($"--{name} is required: {what}");

    public int Int(string name, int fallback) => Get(name) is { } v
        ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new CliException($"--{name} must be a whole number, not '{v}'")
        : fallback;

    public double Double(string name, double fallback) => Get(name) is { } v
        ? double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) ? n : throw new CliException($"--{name} must be a number, not '{v}'")
        : fallback;

    /// <summary>Refuses options the verb does not know, so a typo is not silently ignored.</summary>
    public void Allow(params string[] names)
    {
        foreach (var n in _options.Keys)
            if (!names.Contains(n)) throw new CliException($"unknown option --{n}");
    }
}

/// <summary>A usage error: printed without a stack trace, exit code 2.</summary>
public sealed class CliException(string message) : Exception(message);
