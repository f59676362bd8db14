using GridMap.Core.Store;

namespace GridMap.Server.History;

/// <summary>Who and why of a write made over HTTP: the signed-in name, else "anonymous" (the CLI writes as "cli").</summary>
public static class RequestChange
{
    public const string Anonymous = "anonymous";

    public const string Cli = "cli";

    public static string Author(HttpContext http) =>
        http.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : Anonymous;

    public static ChangeInfo For(HttpContext http, string kind, string? summary = null) => new(Author(http), kind, summary);
}
