using Microsoft.Playwright;
using Ringfence.Protocol;
using static Microsoft.Playwright.Assertions;

namespace Ringfence.Server.Tests.Dashboard;

/// <summary>The dashboard in a real Chromium: what each role sees, acting on a halted rollout, live updates, the fleet view.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardBrowserTests(DashboardFixture fixture)
{
    [Fact]
    public async Task RolloutView_Viewer_SeesEvidenceButNoActionButtons()
    {
        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, fixture.ViewerKey);
        await page.GotoAsync("/rollouts/" + fixture.HaltedRolloutId);

        // The gate's failure halts and rolls back (the engine's meaning); its evidence is on the halt decision.
        await Expect(page.Locator("h1#h-rollout")).ToContainTextAsync("rolled back");
        await Expect(page.Locator("li.decision[data-kind=halt]")).ToContainTextAsync("health gate failed");
        await Expect(page.Locator("li.decision[data-kind=halt] dl.evidence")).ToContainTextAsync("attributedEvents");
        await Expect(page.Locator("li.decision[data-kind=halt] dl.evidence")).ToContainTextAsync("exposedCrashes");
        // No action controls anywhere: the only button on the page is "Sign out".
        var buttons = await page.Locator("main button").CountAsync();
        buttons.ShouldBe(0);
        (await page.Locator("details.act").CountAsync()).ShouldBe(0);

        await page.GotoAsync("/kill-switch");
        await Expect(page.Locator("#kill-state")).ToBeVisibleAsync();
        (await page.Locator("main button").CountAsync()).ShouldBe(0);
        await DashboardFixture.ScreenshotAsync(page, "viewer-rollout-no-actions");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task RolloutView_ApproverResumesHaltedRollout_EvidenceShownAndAuditEntryAppearsLive()
    {
        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, fixture.ApproverKey);

        // The audit log, open in a second tab of the same session, must show the resume without a reload.
        var audit = await page.Context.NewPageAsync();
        await audit.GotoAsync("/audit");
        await Expect(audit.Locator("#chain-status")).ToContainTextAsync("Hash chain verified");
        await Expect(audit.Locator("table.audit td.mono", new() { HasTextString = "rollout.resume" })).ToHaveCountAsync(0);

        await page.GotoAsync("/");
        await page.Locator($"tr[data-rollout='{fixture.ResumableRolloutId}'] a").First.ClickAsync();
        await Expect(page.Locator("h1#h-rollout")).ToContainTextAsync("halted");
        var halt = page.Locator("li.decision[data-kind=halt]");
        await Expect(halt).ToContainTextAsync("two lab hosts crashed in ipc-42");
        await Expect(page.Locator("#rollout-breadcrumbs")).ToContainTextAsync("ipc-42");
        await AssertControlsLabelledAsync(page);

        // Confirmation is required: the confirm button does nothing until the box is ticked.
        await page.GetByText("Resume…").ClickAsync();
        var confirm = page.GetByRole(AriaRole.Button, new() { Name = "Confirm resume" });
        await page.GetByLabel("Reason (recorded in the audit log)").First.FillAsync("false positive: lab hosts");
        await confirm.ClickAsync();
        await Expect(page.Locator("h1#h-rollout")).ToContainTextAsync("halted");
        using (var api = fixture.Client(fixture.ApproverKey))
            (await DashboardFixture.GetAsync<RolloutDto>(api, Routes.Rollout(fixture.ResumableRolloutId))).Status.ShouldBe(RolloutStatus.Halted);
        await page.GetByLabel("I confirm: resume this rollout").CheckAsync();
        await confirm.ClickAsync();

        await Expect(page.Locator("p.flash")).ToContainTextAsync("Resumed");
        await Expect(page.Locator("li.decision[data-kind=resume]")).ToContainTextAsync("false positive: lab hosts");
        await Expect(audit.Locator("table.audit td.mono", new() { HasTextString = "rollout.resume" })).ToHaveCountAsync(1, new() { Timeout = 15_000 });
        await Expect(audit.Locator("#chain-status")).ToContainTextAsync("Hash chain verified");
        await DashboardFixture.ScreenshotAsync(audit, "audit-after-resume");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task RolloutView_Approver_ShowsChartsEvidenceAndActions()
    {
        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, fixture.ApproverKey);
        await page.GotoAsync("/rollouts/" + fixture.HaltedRolloutId);
        await Expect(page.Locator("#rollout-health svg")).ToHaveCountAsync(2);
        await Expect(page.Locator("#rollout-health svg title").First).ToContainTextAsync("Crash rate, dogfood");
        // Rates over time since the ring opened, with 95% bands and the gate's halt level on the same chart.
        var crash = page.Locator("#rollout-health figure[data-metric=crash]");
        await Expect(crash.Locator("path > title", new() { HasTextString = "exposed: 95% interval" })).ToHaveCountAsync(1);
        await Expect(crash.Locator("g[aria-label=legend]")).ToContainTextAsync("gate halts");
        await Expect(crash.Locator("text.xtitle")).ToHaveTextAsync("time since the ring opened (minutes)");
        await Expect(crash.Locator("text.subtitle").First).ToContainTextAsync($"{Ringfence.Rollouts.Rings.RolloutDefaults.Gate.AttributionHosts} crashes on exposed hosts");
        await AssertNoOverlappingLabelsAsync(page, "#rollout-health text.xtick");
        await AssertNoOverlappingLabelsAsync(page, "#rollout-gate text");
        await DashboardFixture.ScreenshotAsync(page, "dashboard-rollout");
        // A halted rollout offers a rollback; a rolled-back one offers none.
        await page.GotoAsync("/rollouts/" + fixture.ResumableRolloutId);
        await Expect(page.GetByText("Roll back…")).ToBeVisibleAsync();

        await page.GotoAsync("/");
        await Expect(page.Locator($"tr[data-rollout='{fixture.HaltedRolloutId}']")).ToContainTextAsync("rolled back");
        await DashboardFixture.ScreenshotAsync(page, "dashboard-rollouts");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task FleetView_UncoveredConfiguration_IsFlagged()
    {
        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, fixture.ViewerKey);
        await page.GetByRole(AriaRole.Link, new() { Name = "Fleet" }).ClickAsync();

        var cell = page.Locator($"td.uncovered[data-config='{DashboardFixture.UncoveredBuild}|linux|{DashboardFixture.UncoveredOsBuild}']");
        await Expect(cell).ToContainTextAsync("no early ring");
        await Expect(page.Locator("td.uncovered")).ToHaveCountAsync(1);
        await Expect(page.Locator("#uncovered-summary")).ToContainTextAsync($"agent {DashboardFixture.UncoveredBuild} on linux {DashboardFixture.UncoveredOsBuild}");
        await Expect(page.Locator("td.covered[data-config='7.11.18110|windows|22631']")).ToContainTextAsync("internal");
        await DashboardFixture.ScreenshotAsync(page, "dashboard-fleet");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Pages_PhoneWidth_DoNotOverflowHorizontally()
    {
        var page = await fixture.NewPageAsync(width: 390, height: 844);
        await fixture.SignInAsync(page, fixture.ApproverKey);
        foreach (var path in new[] { "/", "/rollouts/" + fixture.HaltedRolloutId, "/fleet", "/content", "/audit", "/kill-switch" })
        {
            await page.GotoAsync(path);
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            overflow.ShouldBeLessThanOrEqualTo(0, $"{path} scrolls sideways at phone width");
        }
        await page.GotoAsync("/rollouts/" + fixture.HaltedRolloutId);
        await DashboardFixture.ScreenshotAsync(page, "phone-rollout");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignIn_Keyboard_ReachesKeyFieldAndNavigation()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync("/signin");
        // The key field has focus on arrival (autofocus), so the operator can type at once.
        (await page.EvaluateAsync<string>("() => document.activeElement.id")).ShouldBe("key");
        await page.Keyboard.TypeAsync(fixture.ViewerKey);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = "Main" })).ToBeVisibleAsync();

        // Tab from the top reaches the skip link, then the navigation links.
        await page.Keyboard.PressAsync("Tab");
        (await page.EvaluateAsync<string>("() => document.activeElement.textContent")).ShouldBe("Skip to content");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.PressAsync("Tab");
        (await page.EvaluateAsync<string>("() => document.activeElement.textContent")).ShouldBe("Rollouts");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task KillSwitch_Admin_TakesTwoStepsAndIsRecorded()
    {
        var page = await fixture.NewPageAsync();
        await fixture.SignInAsync(page, DashboardFixture.AdminKey);
        await page.GotoAsync("/kill-switch");
        await page.GetByRole(AriaRole.Button, new() { Name = "Engage the kill switch… (step 1 of 2)" }).ClickAsync();
        await Expect(page.Locator("h1#h-arm")).ToContainTextAsync("Step 2 of 2");
        await DashboardFixture.ScreenshotAsync(page, "kill-switch-step-2");
        await page.GetByLabel("Reason (recorded in the audit log)").FillAsync("drill");
        await page.GetByLabel("Type ENGAGE to confirm").FillAsync("engage");
        await page.GetByRole(AriaRole.Button, new() { Name = "Engage kill switch now" }).ClickAsync();
        // Lower case does not match the pattern: the browser keeps the form; nothing is engaged.
        using (var admin = fixture.Client(DashboardFixture.AdminKey))
            (await DashboardFixture.GetAsync<KillSwitchDto>(admin, Routes.KillSwitch)).Engaged.ShouldBeFalse();
        await page.GetByLabel("Type ENGAGE to confirm").FillAsync("ENGAGE");
        await page.GetByRole(AriaRole.Button, new() { Name = "Engage kill switch now" }).ClickAsync();
        await Expect(page.Locator(".killbanner")).ToContainTextAsync("KILL SWITCH ENGAGED");

        using (var admin = fixture.Client(DashboardFixture.AdminKey))
        {
            (await DashboardFixture.GetAsync<KillSwitchDto>(admin, Routes.KillSwitch)).Engaged.ShouldBeTrue();
            // Release it again so the other tests see a normal control plane.
            await DashboardFixture.PostAsync<KillSwitchDto>(admin, Routes.KillSwitch, new KillSwitchRequest(false, "drill over"));
        }
        await page.GotoAsync("/audit");
        await Expect(page.Locator("table.audit td.mono", new() { HasTextString = "kill-switch.engage" })).ToHaveCountAsync(1);
        await page.Context.CloseAsync();
    }

    /// <summary>No two of these SVG labels overlap, as Chromium actually lays them out (within each chart).</summary>
    private static async Task AssertNoOverlappingLabelsAsync(IPage page, string selector)
    {
        var overlaps = await page.EvaluateAsync<string[]>("""
            sel => {
              const boxes = [...document.querySelectorAll(sel)].map(t => ({ svg: t.ownerSVGElement, text: t.textContent, b: t.getBBox() }));
              const out = [];
              for (let i = 0; i < boxes.length; i++)
                for (let j = i + 1; j < boxes.length; j++) {
                  const a = boxes[i], c = boxes[j];
                  if (a.svg !== c.svg) continue;
                  if (a.b.x < c.b.x + c.b.width && c.b.x < a.b.x + a.b.width && a.b.y < c.b.y + c.b.height && c.b.y < a.b.y + a.b.height)
                    out.push(a.text + ' / ' + c.text);
                }
              return out;
            }
            """, selector);
        overlaps.ShouldBeEmpty();
    }

    /// <summary>Every visible form control has an accessible name.</summary>
    private static async Task AssertControlsLabelledAsync(IPage page)
    {
        var unlabelled = await page.EvaluateAsync<string[]>("""
            () => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
              .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !(el.textContent || '').trim())
              .map(el => el.outerHTML)
            """);
        unlabelled.ShouldBeEmpty();
    }
}
