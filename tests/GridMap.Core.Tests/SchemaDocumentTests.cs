using GridMap.Core.Schema;

namespace GridMap.Core.Tests;

public class SchemaDocumentTests
{
    static string RepoFile(string relative, [System.Runtime.CompilerServices.CallerFilePath] string source = "")
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(source)!); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GridMap.sln"))) return Path.Combine(dir.FullName, relative);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "GridMap.sln"))) return Path.Combine(dir.FullName, relative);
        throw new FileNotFoundException("repository root not found");
    }

    [Fact]
    public void Docs_schema_md_is_what_the_store_accepts()
    {
        var path = RepoFile("docs/schema.md");
        var expected = SchemaDocument.Render();
        if (Environment.GetEnvironmentVariable("GRIDMAP_UPDATE_DOCS") == "1") File.WriteAllText(path, expected);
        Assert.True(File.Exists(path), "docs/schema.md is missing");
        Assert.Equal(expected, File.ReadAllText(path).Replace("\r\n", "\n"));
    }
}
