using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Ringfence.Protocol;
using Ringfence.Server.Http;
using Ringfence.Server.Tests.Fixtures;

namespace Ringfence.Server.Tests.Http;

public sealed class RateLimitTests
{
    private static HttpContext Agent(string credential, bool marked = true)
    {
        var http = new DefaultHttpContext();
        http.Request.Headers.Authorization = "Bearer " + credential;
        var metadata = marked ? new EndpointMetadataCollection(AgentRateLimited.Instance) : new EndpointMetadataCollection();
        http.SetEndpoint(new Endpoint(_ => Task.CompletedTask, metadata, "test"));
        return http;
    }

    [Fact]
    public void AttemptAcquire_BurstBeyondTheBucket_RefusedUntilRefilled()
    {
        using var limiter = new AgentRateLimiter(perSecond: 1, TimeProvider.System);
        var http = Agent("rfh.h1.secret");
        var clock = Stopwatch.StartNew();
        var granted = Enumerable.Range(0, 10).Count(_ => limiter.AttemptAcquire(http).IsAcquired);
        // The bucket holds two tokens and refills one a second while the loop runs.
        granted.ShouldBeGreaterThanOrEqualTo(2);
        granted.ShouldBeLessThanOrEqualTo(2 + (int)clock.Elapsed.TotalSeconds);
    }

    [Fact]
    public void AttemptAcquire_OtherCredential_HasItsOwnBucket()
    {
        using var limiter = new AgentRateLimiter(perSecond: 1, TimeProvider.System);
        var first = Agent("rfh.h1.secret");
        while (limiter.AttemptAcquire(first).IsAcquired)
        {
        }
        limiter.AttemptAcquire(Agent("rfh.h2.secret")).IsAcquired.ShouldBeTrue();
        limiter.Count.ShouldBe(2);
    }

    [Fact]
    public void AttemptAcquire_EndpointNotMarkedAsAgent_AlwaysGrantedAndHoldsNoBucket()
    {
        using var limiter = new AgentRateLimiter(perSecond: 1, TimeProvider.System);
        var http = Agent("rfh.h1.secret", marked: false);
        Enumerable.Range(0, 50).ShouldAllBe(_ => limiter.AttemptAcquire(http).IsAcquired);
        limiter.Count.ShouldBe(0);
    }

    [Fact]
    public void Sweep_BucketsIdleForAMinute_DroppedAndOthersKept()
    {
        var time = new ManualTime(new DateTimeOffset(2024, 7, 19, 4, 0, 0, TimeSpan.Zero));
        using var limiter = new AgentRateLimiter(perSecond: 5, time);
        limiter.AttemptAcquire(Agent("rfh.idle.secret")).IsAcquired.ShouldBeTrue();
        time.Advance(TimeSpan.FromSeconds(59));
        limiter.AttemptAcquire(Agent("rfh.busy.secret")).IsAcquired.ShouldBeTrue();
        time.Advance(TimeSpan.FromSeconds(2));
        limiter.Sweep();
        limiter.Count.ShouldBe(1);
        // The busy host keeps its bucket: after its two-token burst it is refused again.
        var busy = Agent("rfh.busy.secret");
        while (limiter.AttemptAcquire(busy).IsAcquired)
        {
        }
        limiter.Count.ShouldBe(1);
    }

    [Fact]
    public async Task CheckIn_HostOverItsRate_Gets429ProblemWithRetryAfterWhileOtherHostsPass()
    {
        await using var h = await ServerHarness.StartAsync("sqlite", o => o with { AgentRequestsPerSecond = 1 });
        var noisy = await h.EnrollAsync();
        var quiet = await h.EnrollAsync();
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 20 && refused is null; i++)
        {
            var response = await h.Http.SendAsync(noisy.Request(Routes.CheckIn, noisy.CheckInBody()));
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                refused = response;
            else
                response.Dispose();
        }
        refused.ShouldNotBeNull("20 check-ins at 1/s with a burst of 2 must be refused at least once");
        using (refused)
        {
            refused.Headers.RetryAfter!.ToString().ShouldBe("1");
            using var doc = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
            doc.RootElement.GetProperty("type").GetString().ShouldBe(Routes.ProblemTypeBase + "rate-limited");
        }
        (await quiet.CheckInAsync()).ShouldNotBeNull();
        // Operator traffic has its own limit.
        await h.SendOkAsync<KnownBadListDto>(HttpMethod.Get, Routes.KnownBad, ServerHarness.AdminKey, null);
    }

    [Fact]
    public async Task OperatorApi_KeyOverItsRate_Gets429Problem()
    {
        await using var h = await ServerHarness.StartAsync("sqlite", o => o with { OperatorRequestsPerSecond = 1 });
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20 && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            using var response = await h.Http.SendAsync(h.Request(HttpMethod.Get, Routes.KnownBad, ServerHarness.AdminKey));
            statuses.Add(response.StatusCode);
        }
        statuses.ShouldContain(HttpStatusCode.TooManyRequests);
        statuses.First().ShouldBe(HttpStatusCode.OK);
    }
}
