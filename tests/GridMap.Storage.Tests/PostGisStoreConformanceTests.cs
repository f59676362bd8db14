using GridMap.Core.Store;

namespace GridMap.Storage.Tests;

/// <summary>The conformance suite against a real PostGIS: one database for the class, emptied before each test.</summary>
public sealed class PostGisStoreConformanceTests(PostGisFixture db) : StoreConformanceTests, IClassFixture<PostGisFixture>
{
    protected override async Task<IFeatureStore> OpenStoreAsync() => await db.OpenEmptyAsync();
}
