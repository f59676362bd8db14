using Microsoft.Playwright;

namespace GridMap.Web.Tests;

/// <summary>
/// The map under its Content-Security-Policy (docs/security.md): opening the map, searching and computing 服务圈 raise no
/// <c>securitypolicyviolation</c> and no CSP console error; MapLibre's worker is the same-origin CSP build, never blob:.
/// The same listener catches an inline script the policy refuses, so the check can fail.
/// </summary>
public sealed class SecurityPolicyTests(WebFixture web) : IClassFixture<WebFixture>
{
    const string Listen = """
        window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
        """;

    [Fact]
    public async Task Opening_the_map_searching_and_the_service_circle_raise_no_CSP_violation()
    {
        var (page, errors) = await web.OpenPageAsync("/", prepare: p => p.AddInitScriptAsync(Listen));
        var csp = await page.EvaluateAsync<string>("async () => (await fetch('/')).headers.get('content-security-policy')");
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("worker-src 'self'", csp);
        Assert.Equal("/vendor/maplibre-gl-csp-worker.js", await page.EvaluateAsync<string>("() => maplibregl.getWorkerUrl()"));
        await page.WaitForFunctionAsync("() => window.gridmap.map.loaded() && window.gridmap.map.querySourceFeatures('grids', { sourceLayer: 'grids' }).length > 0",
            null, new() { Timeout = 60_000 });

        // Search a grid code and open it.
        var code = await page.EvaluateAsync<string>(
            "async () => { const f = (await (await fetch('/api/layers/grids/features?limit=1')).json()).features[0]; return String(f.properties.code ?? f.id); }");
        await page.Locator("#search input").FillAsync(code);
        var result = page.Locator("#results button.result", new() { HasText = code }).First;
        await result.ClickAsync();
        await Assertions.Expect(page.Locator("#info .grid-code")).ToHaveTextAsync(code);

        // 服务圈: coverage computed and drawn.
        await page.Locator("#coverage-open").ClickAsync();
        var panel = page.Locator("#coverage");
        await panel.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(panel.Locator(".coverage-share[data-threshold='5']")).ToContainTextAsync("%", new() { Timeout = 90_000 });
        await page.WaitForFunctionAsync("() => window.gridmap.coverage.shown.buildings > 1000", null, new() { Timeout = 60_000 });
        await WebFixture.IdleAsync(page);

        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__csp"));
        Assert.DoesNotContain(errors, e => e.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || e.Contains("Refused to", StringComparison.Ordinal));
        Assert.Empty(errors);

        // The listener sees what the policy refuses: an inline script does not run and is reported.
        await page.EvaluateAsync("() => document.head.appendChild(Object.assign(document.createElement('script'), { textContent: 'window.__inline = 1' }))");
        await page.WaitForFunctionAsync("() => window.__csp.length > 0", null, new() { Timeout = 5000 });
        Assert.StartsWith("script-src", (await page.EvaluateAsync<string[]>("() => window.__csp"))[0]);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__inline === undefined"));
        await page.Context.CloseAsync();
    }
}
