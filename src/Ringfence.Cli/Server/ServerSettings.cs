using System.CommandLine;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Ringfence.Server.Hosting;

namespace Ringfence.Cli.Server;

/// <summary>
/// Server options the .NET way: defaults, then appsettings.json (section "Ringfence") in the working directory,
/// then RINGFENCE__&lt;OPTION&gt; environment variables, then command-line flags.
/// </summary>
internal static class ServerSettings
{
    public static readonly Option<string?> Urls = new("--urls") { Description = "Listen URLs, e.g. http://127.0.0.1:5080 (port 0: any free port)" };
    public static readonly Option<string?> Data = new("--data") { Description = "Data directory (SQLite file, keys); default ./ringfence-data" };
    public static readonly Option<string?> Provider = new("--provider") { Description = "Storage: sqlite (default) or postgres" };
    public static readonly Option<string?> ConnectionString = new("--connection-string") { Description = "PostgreSQL connection string (with --provider postgres)" };

    public static void AddTo(Command command)
    {
        command.Options.Add(Urls);
        command.Options.Add(Data);
        command.Options.Add(Provider);
        command.Options.Add(ConnectionString);
    }

    public static RingfenceServerOptions Load(ParseResult parse, CliEnvironment env)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var appsettings = Path.Combine(env.WorkingDirectory, "appsettings.json");
        IConfigurationBuilder builder = new ConfigurationBuilder();
        if (File.Exists(appsettings))
        {
            try
            {
                builder = builder.AddJsonFile(appsettings, optional: true, reloadOnChange: false);
                builder.Build();
            }
            catch (Exception ex) when (ex is FormatException or InvalidDataException or System.Text.Json.JsonException)
            {
                throw new CliException($"{appsettings}: {ex.Message}");
            }
        }
        foreach (var property in typeof(RingfenceServerOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (env.GetVariable("RINGFENCE__" + property.Name.ToUpperInvariant()) is { } value)
                values["Ringfence:" + property.Name] = value;
        }
        if (parse.GetValue(Urls) is { } urls)
            values["Ringfence:Urls"] = urls;
        if (parse.GetValue(Data) is { } data)
            values["Ringfence:DataDirectory"] = env.ResolvePath(data);
        if (parse.GetValue(Provider) is { } provider)
            values["Ringfence:Provider"] = provider;
        if (parse.GetValue(ConnectionString) is { } cs)
            values["Ringfence:ConnectionString"] = cs;

        RingfenceServerOptions options;
        try
        {
            options = RingfenceServer.BindOptions(builder.AddInMemoryCollection(values).Build());
        }
        catch (InvalidOperationException ex)
        {
            throw new CliException("configuration: " + (ex.InnerException?.Message ?? ex.Message));
        }
        if (!Path.IsPathRooted(options.DataDirectory))
            options = options with { DataDirectory = env.ResolvePath(options.DataDirectory) };
        if (options.Validate() is { Count: > 0 } errors)
            throw new CliException("configuration: " + string.Join("; ", errors));
        return options;
    }
}
