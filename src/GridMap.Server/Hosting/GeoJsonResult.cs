using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using GridMap.Core.Model;
using GridMap.IO.GeoJson;
using Microsoft.AspNetCore.Http.Metadata;

namespace GridMap.Server.Hosting;

/// <summary>An RFC 7946 response (application/geo+json) written straight to the body.</summary>
public sealed class GeoJsonResult(Action<Utf8JsonWriter> write, int status = StatusCodes.Status200OK) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult
{
    public const string ContentType = "application/geo+json";

    public int? StatusCode => status;

    public static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task ExecuteAsync(HttpContext http)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = ContentType;
        await using var w = new Utf8JsonWriter(http.Response.BodyWriter, WriterOptions);
        write(w);
        await w.FlushAsync();
    }

    /// <param name="touched">Features whose version the write raised besides this one, by layer (contract: derived fields).</param>
    public static GeoJsonResult Feature(StoredFeature f, IReadOnlyList<object>? repairs = null, int status = StatusCodes.Status200OK,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>? touched = null) =>
        new(w =>
        {
            if (repairs is not { Count: > 0 } && touched is null)
            {
                GeoJsonFeatures.WriteFeature(w, f);
                return;
            }
            // Repairs travel as a foreign member so the client can tell the planner what was changed.
            using var buffer = new MemoryStream();
            using (var inner = new Utf8JsonWriter(buffer, WriterOptions)) GeoJsonFeatures.WriteFeature(inner, f);
            var node = System.Text.Json.Nodes.JsonNode.Parse(buffer.ToArray())!.AsObject();
            if (repairs is { Count: > 0 }) node["repairs"] = JsonSerializer.SerializeToNode(repairs);
            if (touched is not null) node["touched"] = JsonSerializer.SerializeToNode(touched);
            node.WriteTo(w);
        }, status);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(object), [ContentType]));
}
