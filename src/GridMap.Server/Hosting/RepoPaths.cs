namespace GridMap.Server.Hosting;

/// <summary>Finds the repository's folders (web/, geodata/) from the executable or the working directory.</summary>
public static class RepoPaths
{
    public static string? Find(string relative)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, relative);
                if (File.Exists(candidate) || Directory.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    public static string? WebRoot() => Find(Path.Combine("web", "index.html")) is { } index ? Path.GetDirectoryName(index) : null;

    public static string? SampleCity() => Find(Path.Combine("geodata", "sample", "grids.geojson")) is { } f ? Path.GetDirectoryName(f) : null;
}
