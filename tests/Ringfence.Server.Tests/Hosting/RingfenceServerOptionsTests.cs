using Ringfence.Server.Hosting;

namespace Ringfence.Server.Tests.Hosting;

public sealed class RingfenceServerOptionsTests
{
    [Fact]
    public void Validate_Defaults_NoErrors() => new RingfenceServerOptions().Validate().ShouldBeEmpty();

    [Fact]
    public void Validate_SeveralBadValues_ReportsEveryOneAtOnce()
    {
        var options = new RingfenceServerOptions
        {
            DataDirectory = " ",
            Provider = StorageProvider.Postgres,
            CheckInIntervalSeconds = 0,
            TufKeyPassphrase = "short",
            TufKeyIterations = 5,
            TufRootKeys = 3,
            TufRootThreshold = 4,
        };

        var errors = options.Validate();

        errors.Count.ShouldBe(6, string.Join("; ", errors));
        errors.ShouldContain(e => e.StartsWith("DataDirectory:", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("ConnectionString:", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("CheckInIntervalSeconds: 0", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("TufKeyPassphrase:", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("TufKeyIterations: 5", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("TufRootThreshold: 4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_RefusedBeforeTouchingStorage()
    {
        var directory = Path.Combine(Path.GetTempPath(), "ringfence-options-" + Guid.NewGuid().ToString("N"));

        var refused = await Should.ThrowAsync<ArgumentException>(() =>
            RingfenceServer.StartAsync(new RingfenceServerOptions { DataDirectory = directory, TufRootKeys = 0, Urls = "http://127.0.0.1:0" }));

        refused.Message.ShouldContain("TufRootKeys: 0 is outside 1..10");
        Directory.Exists(directory).ShouldBeFalse();
    }
}

public sealed class RingfenceServerOptionsProxyTests
{
    [Fact]
    public void Validate_TrustedProxiesNotAddresses_NamesEachOne()
    {
        var errors = new RingfenceServerOptions { TrustedProxies = ["127.0.0.1", "proxy.example", "10.0.0.0/33", "::1", "10.0.0.0/8"] }.Validate();
        errors.Count.ShouldBe(2, string.Join("; ", errors));
        errors.ShouldContain(e => e.StartsWith("TrustedProxies[1]: 'proxy.example'", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("TrustedProxies[2]: '10.0.0.0/33'", StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_TrustNoProxyAndSyncEveryCommit()
    {
        var options = new RingfenceServerOptions();
        options.TrustedProxies.ShouldBeEmpty();
        options.SqliteSynchronous.ShouldBe(SqliteSynchronous.Full);
    }
}
