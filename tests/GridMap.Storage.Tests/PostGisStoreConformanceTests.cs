using GridMap.Core.Store;
using GridMap.Storage.PostGis;
using GridMap.Testing;

namespace GridMap.Storage.Tests;

/// <summary>The conformance suite against a real PostGIS, each class in its own database.</summary>
public sealed class PostGisStoreConformanceTests : StoreConformanceTests
{
    string _connectionString = "";

    protected override async Task<IFeatureStore> OpenStoreAsync()
    {
        _connectionString = await PostGisDatabase.CreateDatabaseAsync("gridmap_conformance");
        return await PostGisStore.OpenAsync(_connectionString);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await PostGisDatabase.DropDatabaseAsync(_connectionString);
    }
}
