using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Ringfence.Protocol;

namespace Ringfence.Server.Dashboard;

/// <summary>
/// A signed-in operator. The API key stays on the server (the dashboard calls the operator API with it); the
/// browser only holds a random session id in an HttpOnly, SameSite=Strict cookie. <see cref="Csrf"/> is the
/// synchronizer token every form of this session posts back.
/// </summary>
internal sealed record DashboardSession(string Id, string Key, string Name, OperatorRole Role, string Csrf, DateTimeOffset ExpiresAt)
{
    public bool Can(OperatorRole role) => Role >= role;
}

/// <summary>In-memory sessions (per server node; a restart signs everyone out, which is the safe default).</summary>
internal sealed class DashboardSessions(TimeProvider wallClock)
{
    public const string SessionCookie = "rf_session";
    /// <summary>Double-submit token for the sign-in form, which has no session yet.</summary>
    public const string SignInCookie = "rf_signin";
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(8);
    private const int MaxSessions = 10_000;

    private readonly ConcurrentDictionary<string, DashboardSession> _sessions = new(StringComparer.Ordinal);

    public DashboardSession Create(string key, WhoAmI who)
    {
        var now = wallClock.GetUtcNow();
        if (_sessions.Count >= MaxSessions)
        {
            foreach (var expired in _sessions.Values.Where(s => s.ExpiresAt <= now))
                _sessions.TryRemove(expired.Id, out _);
            // Still full: drop the oldest, never refuse a valid key.
            if (_sessions.Count >= MaxSessions && _sessions.Values.MinBy(s => s.ExpiresAt) is { } oldest)
                _sessions.TryRemove(oldest.Id, out _);
        }
        var session = new DashboardSession(NewToken(), key, who.Name, who.Role, NewToken(), now + Lifetime);
        _sessions[session.Id] = session;
        return session;
    }

    public DashboardSession? Get(HttpContext http)
    {
        var id = http.Request.Cookies[SessionCookie];
        if (string.IsNullOrEmpty(id) || id.Length > 64 || !_sessions.TryGetValue(id, out var session))
            return null;
        if (session.ExpiresAt <= wallClock.GetUtcNow())
        {
            _sessions.TryRemove(id, out _);
            return null;
        }
        return session;
    }

    public void Remove(DashboardSession session) => _sessions.TryRemove(session.Id, out _);

    public static void WriteCookie(HttpContext http, string name, string value, TimeSpan? maxAge) =>
        http.Response.Cookies.Append(name, value, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = http.Request.IsHttps,
            Path = "/",
            MaxAge = maxAge,
            IsEssential = true,
        });

    public static void DeleteCookie(HttpContext http, string name) =>
        http.Response.Cookies.Delete(name, new CookieOptions { Path = "/", SameSite = SameSiteMode.Strict, HttpOnly = true, Secure = http.Request.IsHttps });

    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static bool SameToken(string? a, string? b) =>
        !string.IsNullOrEmpty(a) && !string.IsNullOrEmpty(b)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
