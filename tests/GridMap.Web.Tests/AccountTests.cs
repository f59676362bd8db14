using Microsoft.Playwright;
using Xunit.Abstractions;

namespace GridMap.Web.Tests;

/// <summary>
/// Signing in on the map (the README's server: loopback, --open): a visitor reads the map without workers' phones or
/// planners' tools; a planner made with `gridmap user add` while the server runs signs in through the dialog, sees
/// their name, role and tools, and signs out; a wrong password is refused in Chinese; a viewer gets no tools.
/// </summary>
public sealed class AccountTests(WebFixture web, ITestOutputHelper output) : IClassFixture<WebFixture>
{
    const string Password = "correct-horse-42";

    async Task ShotAsync(IPage page, string name) => output.WriteLine($"screenshot: {await web.ScreenshotAsync(page, $"account-{name}.png")}");

    async Task<IPage> SignInThroughDialogAsync(IPage page, string name, string password)
    {
        await page.Locator("#account .account-button").ClickAsync();
        var dialog = page.Locator("dialog.account-dialog");
        await dialog.Locator("input[name=name]").FillAsync(name);
        await dialog.Locator("input[name=password]").FillAsync(password);
        await dialog.Locator("button[type=submit]").ClickAsync();
        return page;
    }

    [Fact]
    public async Task A_visitor_reads_the_map_without_phones_or_tools_and_a_planner_signs_in_and_out()
    {
        await web.CliAsync(["user", "add", "zhang.planner", "--role", "planner", "--scope", "520304", "--password-stdin"], Password);
        var (page, errors) = await web.OpenPageAsync("/", signedIn: false);
        await Assertions.Expect(page.Locator("#account .account-button")).ToHaveTextAsync("登录");
        await Assertions.Expect(page.Locator("#partition-open")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#planner-open")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#coverage-open")).ToBeVisibleAsync();
        // The lookup at a grid: its worker is there (有网格员) but no phone number is.
        var phones = await page.EvaluateAsync<int>("""
            async () => (await (await fetch('/api/layers/grids/features?limit=500')).json()).features
              .filter((f) => JSON.stringify(f.properties).match(/138\d{8}/)).length
            """);
        Assert.Equal(0, phones);
        await ShotAsync(page, "visitor");

        await SignInThroughDialogAsync(page, "zhang.planner", "wrong-password-1");
        await Assertions.Expect(page.Locator("dialog.account-dialog .error")).ToHaveTextAsync("账号或密码错误");
        await page.Locator("dialog.account-dialog button.account-cancel").ClickAsync();

        await SignInThroughDialogAsync(page, "zhang.planner", Password);
        await page.WaitForSelectorAsync("body[data-ready='true']", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#account .account-button")).ToHaveTextAsync("zhang.planner · 规划员");
        await Assertions.Expect(page.Locator("#partition-open")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#planner-open")).ToBeVisibleAsync();
        var seen = await page.EvaluateAsync<int>("""
            async () => (await (await fetch('/api/layers/grids/features?limit=500')).json()).features
              .filter((f) => JSON.stringify(f.properties).match(/138\d{8}/)).length
            """);
        Assert.True(seen > 0, "a planner in scope sees the workers' phones");
        await ShotAsync(page, "planner");

        await page.Locator("#account .account-button").ClickAsync();
        await page.Locator("#account .account-sign-out").ClickAsync();
        await page.WaitForSelectorAsync("body[data-ready='true']", new() { Timeout = 60_000 });
        await Assertions.Expect(page.Locator("#account .account-button")).ToHaveTextAsync("登录");
        await Assertions.Expect(page.Locator("#planner-open")).ToBeHiddenAsync();
        Assert.Empty(errors.Where(e => !e.Contains("status of 401")));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_viewer_on_a_phone_gets_no_planning_tools_and_a_write_is_refused_by_the_server()
    {
        await web.CliAsync(["user", "add", "li.viewer", "--role", "viewer", "--password-stdin"], Password);
        var context = await web.Browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true, DeviceScaleFactor = 2,
        });
        await web.SignInAsync(context, "li.viewer", Password);
        var (page, _) = await web.OpenPageAsync("/", context: context);
        await Assertions.Expect(page.Locator("#account .account-button")).ToHaveTextAsync("li.viewer · 查看者");
        await Assertions.Expect(page.Locator("#partition-open")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#planner-open")).ToBeHiddenAsync();
        // Hiding is a courtesy: the server refuses a viewer's write whatever the page does.
        var status = await page.EvaluateAsync<int>("""
            async () => {
              const me = await (await fetch('/api/auth/me')).json();
              const res = await fetch('/api/partition/jobs', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-XSRF-TOKEN': me.antiforgery },
                body: JSON.stringify({ scope: '520304001001' }) });
              return res.status;
            }
            """);
        Assert.Equal(403, status);
        await ShotAsync(page, "viewer-phone");
        await context.CloseAsync();
    }
}
