using System.Globalization;

namespace GridMap.Server.Cli;

/// <summary>Verb, positional arguments and --options of a command line (`--name value` or `--name=value`; flags stand alone).</summary>
public sealed class CliArgs
{
    static readonly HashSet<string> Flags = ["replace", "no-sample", "help", "empty", "force", "open", "password-stdin", "can-edit-households"];

    public IReadOnlyList<string> Positional { get; }
    readonly Dictionary<string, string> _options;

    CliArgs(List<string> positional, Dictionary<string, string> options)
    {
        Positional = positional;
        _options = options;
    }

    public static CliArgs Parse(IEnumerable<string> args)
    {
        var positional = new List<string>();
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
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
            if (eq >= 0) options[name[..eq]] = name[(eq + 1)..];
            else if (Flags.Contains(name)) options[name] = "true";
            else if (e.MoveNext()) options[name] = e.Current;
            else throw new CliException($"--{name} needs a value");
        }
        return new CliArgs(positional, options);
    }

    public string? Get(string name) => _options.GetValueOrDefault(name);

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
