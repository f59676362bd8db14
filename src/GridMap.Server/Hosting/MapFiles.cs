using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace GridMap.Server.Hosting;

/// <summary>
/// Only what the map page loads is served from web/: the page, its styles, its service worker, its ES modules
/// (<c>src/**.js</c>, loaded as they are: no bundle) and the vendored MapLibre files. <c>package.json</c>,
/// <c>package-lock.json</c>, <c>build.mjs</c>, <c>README.md</c> and <c>node_modules/</c> are 404.
/// </summary>
public sealed class MapFiles(IFileProvider inner) : IFileProvider
{
    static readonly HashSet<string> RootFiles = new(StringComparer.Ordinal)
    {
        "index.html", "style.css", "planner.css", "sw.js", "maplibre-worker.js",
    };

    /// <summary>Folders served with the file types the page takes from them.</summary>
    static readonly (string Folder, string[] Extensions)[] Folders =
    [
        ("src/", [".js"]),
        ("vendor/", [".js", ".css"]),
    ];

    /// <summary>Whether a request path (as the static-file middleware passes it, with a leading slash) is part of the map.</summary>
    public static bool Serves(string subpath)
    {
        var path = subpath.TrimStart('/');
        if (path.Length == 0) return true; // the root folder itself: default files look for index.html in it
        if (path.Contains("..", StringComparison.Ordinal) || path.Contains('\\')) return false;
        if (RootFiles.Contains(path)) return true;
        foreach (var (folder, extensions) in Folders)
            if (path.StartsWith(folder, StringComparison.Ordinal) && extensions.Any(e => path.EndsWith(e, StringComparison.Ordinal))
                && !path.Split('/').Any(s => s.StartsWith('.')))
                return true;
        return false;
    }

    public IFileInfo GetFileInfo(string subpath) => Serves(subpath) ? inner.GetFileInfo(subpath) : new NotFoundFileInfo(subpath);

    /// <summary>Only the root folder exists as a folder (default files find index.html in it); nothing is ever listed.</summary>
    public IDirectoryContents GetDirectoryContents(string subpath) =>
        subpath.Trim('/').Length == 0 ? inner.GetDirectoryContents(subpath) : NotFoundDirectoryContents.Singleton;

    public IChangeToken Watch(string filter) => inner.Watch(filter);
}
