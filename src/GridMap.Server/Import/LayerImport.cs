using GridMap.Core.Estimation;
using GridMap.Core.Store;

namespace GridMap.Server.Import;

/// <summary>What every way into the store does before writing: estimate the households nobody counted.</summary>
public static class LayerImport
{
    public static IReadOnlyList<LayerBatch> Prepare(IReadOnlyList<LayerBatch> batches, EstimationOptions estimation) =>
        new HouseholdEstimator(estimation).FillMissing(batches);
}
