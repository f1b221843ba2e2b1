using System.Net;
using System.Text.Json;
using Ringfence.Protocol;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Http;

public sealed class ProblemsTests
{
    [Fact]
    public async Task MalformedBody_TokenWithNewlineAndControlCharacters_DetailIsOneLine()
    {
        // Regression (bench/fuzz): the JSON parser's message quotes the bad token, newlines and all.
        await using var h = await ServerHarness.StartAsync("sqlite");
        using var response = await h.Http.SendAsync(h.Request(HttpMethod.Post, Routes.KillSwitch, ServerHarness.AdminKey, rawJson: "{\"engaged\":tr\n\u0001ue,\r\n\"reason\":\"x\"}"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var detail = doc.RootElement.GetProperty("detail").GetString()!;
        detail.ShouldContain("$.engaged");
        detail.ShouldNotContain("\n");
        detail.ShouldNotContain("\r");
        detail.ShouldNotContain("\u0001");
    }
}
