using Ringfence.Agent.Runtime;

namespace Ringfence.Agent.Tests.Runtime;

public sealed class RuntimeOptionsTests
{
    [Fact]
    public void Validate_Defaults_NoErrors() =>
        new AgentRuntimeOptions { Server = new Uri("http://127.0.0.1:5080/") }.Validate().ShouldBeEmpty();

    [Fact]
    public void Validate_EverythingWrong_ReportsEveryErrorAtOnce()
    {
        var options = new AgentRuntimeOptions
        {
            Server = new Uri("ftp://example/"),
            EnrollmentToken = "",
            CheckInInterval = TimeSpan.Zero,
            CheckInJitter = 2,
            BackoffBase = TimeSpan.FromHours(2),
            EventsPerCycle = -1,
            TelemetryBatchSize = 0,
            HeartbeatFlushCycles = 0,
        };

        var errors = options.Validate();

        errors.Count.ShouldBeGreaterThanOrEqualTo(8);
        errors.ShouldContain(e => e.Contains("ftp://"));
        errors.ShouldContain(e => e.Contains("check-in jitter"));
    }
}
