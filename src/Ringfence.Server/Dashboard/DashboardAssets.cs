namespace Ringfence.Server.Dashboard;

/// <summary>The dashboard's only static assets: one stylesheet and one small script (no front-end build).</summary>
internal static class DashboardAssets
{
    public const string CssPath = "/assets/dashboard.css";
    public const string ScriptPath = "/assets/dashboard.js";

    public const string Css = """
        :root { --fg:#1b1f24; --muted:#57606a; --bg:#f6f8fa; --card:#fff; --line:#d0d7de; --accent:#0b5cad;
          --ok:#1a7f37; --okbg:#dafbe1; --bad:#b42318; --badbg:#ffebe9; --wait:#7d4e00; --waitbg:#fff8c5; --run:#0b5cad; --runbg:#ddf4ff; }
        * { box-sizing: border-box; }
        body { margin:0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
        a { color:var(--accent); }
        :focus-visible { outline:3px solid #fb8c00; outline-offset:2px; }
        .skip { position:absolute; left:-9999px; } .skip:focus { left:8px; top:8px; background:#fff; padding:6px 10px; z-index:10; }
        header.top { display:flex; flex-wrap:wrap; gap:8px 20px; align-items:center; padding:10px 20px; background:#0d1b2a; color:#fff; }
        header.top .brand { font-weight:700; font-size:18px; color:#fff; text-decoration:none; letter-spacing:.3px; }
        header.top nav ul { display:flex; flex-wrap:wrap; gap:4px; list-style:none; margin:0; padding:0; }
        header.top nav a { color:#dbe7f3; text-decoration:none; padding:6px 10px; border-radius:6px; display:inline-block; }
        header.top nav a[aria-current="page"] { background:#23405e; color:#fff; font-weight:600; }
        header.top .who { margin-left:auto; display:flex; gap:10px; align-items:center; font-size:14px; }
        header.top .who button { background:transparent; color:#fff; border:1px solid #8fa6bd; border-radius:6px; padding:4px 10px; cursor:pointer; }
        main { max-width:1240px; margin:0 auto; padding:16px 20px 48px; }
        h1 { font-size:24px; margin:8px 0 12px; } h2 { font-size:18px; margin:0 0 10px; } h3 { font-size:15px; margin:12px 0 6px; }
        .card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:14px 16px; margin:0 0 16px; }
        .muted { color:var(--muted); } .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:13px; }
        .scroll { overflow-x:auto; -webkit-overflow-scrolling:touch; }
        table { border-collapse:collapse; width:100%; }
        th, td { text-align:left; padding:7px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
        th { font-size:13px; color:var(--muted); font-weight:600; white-space:nowrap; }
        td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
        .badge { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12.5px; font-weight:600; border:1px solid transparent; white-space:nowrap; }
        .b-ok { color:var(--ok); background:var(--okbg); border-color:#8ddb9f; } .b-bad { color:var(--bad); background:var(--badbg); border-color:#f5a9a3; }
        .b-wait { color:var(--wait); background:var(--waitbg); border-color:#e6cd6a; } .b-run { color:var(--run); background:var(--runbg); border-color:#9cd2f7; }
        .b-idle { color:var(--muted); background:#eef1f4; border-color:var(--line); }
        .bar { position:relative; height:10px; background:#e7ebef; border-radius:5px; overflow:hidden; min-width:90px; }
        .bar > span { position:absolute; inset:0 auto 0 0; background:var(--accent); }
        .bar.bad > span { background:var(--bad); }
        .rings { display:flex; gap:3px; margin-top:4px; } .rings span { flex:1; height:6px; border-radius:3px; background:#e7ebef; min-width:10px; }
        .rings .passed { background:var(--ok); } .rings .running { background:var(--run); } .rings .failed { background:var(--bad); } .rings .inconclusive { background:#d4a72c; }
        .grid2 { display:grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); gap:12px; }
        .chart svg { width:100%; max-width:640px; height:auto; display:block; }
        .chart { min-height:140px; }
        dl.kv { display:grid; grid-template-columns:max-content 1fr; gap:2px 12px; margin:6px 0 0; font-size:13.5px; }
        dl.kv dt { color:var(--muted); } dl.kv dd { margin:0; font-variant-numeric: tabular-nums; word-break:break-word; }
        .flash { padding:10px 14px; border-radius:8px; margin-bottom:14px; border:1px solid; }
        .flash.ok { background:var(--okbg); border-color:#8ddb9f; } .flash.err { background:var(--badbg); border-color:#f5a9a3; color:#7a140d; }
        .actions { display:flex; flex-wrap:wrap; gap:10px; align-items:flex-start; }
        details.act { border:1px solid var(--line); border-radius:8px; background:#fbfcfd; }
        details.act > summary { cursor:pointer; padding:8px 12px; font-weight:600; list-style:none; border-radius:8px; }
        details.act > summary::-webkit-details-marker { display:none; }
        details.act[open] > summary { border-bottom:1px solid var(--line); border-radius:8px 8px 0 0; }
        details.act form { padding:10px 12px; display:grid; gap:8px; min-width:min(340px, 80vw); }
        details.act.danger > summary { color:var(--bad); }
        label { font-weight:600; font-size:14px; }
        input[type=text], input[type=password] { font:inherit; padding:7px 9px; border:1px solid #8c959f; border-radius:6px; width:100%; }
        .check { display:flex; gap:8px; align-items:flex-start; font-weight:500; }
        button, .button { font:inherit; font-weight:600; padding:7px 14px; border-radius:6px; border:1px solid #1f4f82; background:var(--accent); color:#fff; cursor:pointer; }
        button.danger { background:var(--bad); border-color:#7a140d; }
        button.secondary { background:#fff; color:var(--fg); border-color:#8c959f; }
        .killbanner { background: repeating-linear-gradient(45deg, #b42318 0 14px, #8a1a12 14px 28px); color:#fff; padding:10px 20px; font-weight:700; }
        .killbanner a { color:#fff; }
        .killzone { border:3px solid var(--bad); border-radius:10px; overflow:hidden; background:#fff; }
        .killzone .stripe { height:14px; background: repeating-linear-gradient(45deg, #111 0 14px, #f5c400 14px 28px); }
        .killzone .inner { padding:14px 16px; }
        .killzone h2 { color:var(--bad); font-size:20px; }
        .matrix td.cell { min-width:120px; }
        .matrix td.covered { background:#f3fbf5; }
        .matrix td.uncovered { background: repeating-linear-gradient(135deg, #ffebe9 0 8px, #ffd8d3 8px 16px); outline:2px solid var(--bad); outline-offset:-2px; }
        .matrix td.empty { color:#aab2bb; }
        .matrix .count { font-weight:700; font-size:16px; font-variant-numeric: tabular-nums; }
        .matrix .ringlist { font-size:12px; color:var(--muted); }
        .matrix .flag { font-size:12px; font-weight:700; color:var(--bad); }
        .signin { max-width:420px; margin:48px auto; }
        .signin form { display:grid; gap:10px; }
        .error { color:#7a140d; background:var(--badbg); border:1px solid #f5a9a3; padding:8px 10px; border-radius:6px; }
        .verified { font-weight:700; } .verified.ok { color:var(--ok); } .verified.bad { color:var(--bad); }
        @media (max-width: 700px) {
          main { padding:12px 10px 40px; } header.top { padding:8px 10px; } header.top .who { margin-left:0; width:100%; }
          h1 { font-size:20px; } th, td { padding:6px 5px; } body { font-size:14.5px; }
          .hide-narrow { display:none; }
        }
        """;

    /// <summary>
    /// Live updates: one EventSource per page; the server sends only regions whose HTML changed. A region is swapped
    /// in place (its height never shrinks, so nothing below jumps up), and not while the operator is typing in it or
    /// has a confirmation open: that update waits until focus leaves.
    /// </summary>
    public const string Script = """
        (() => {
          const regions = [...document.querySelectorAll('[data-live]')];
          if (!regions.length || !window.EventSource) return;
          const v = regions.map(r => r.id + ':' + r.dataset.v).join(',');
          const url = '/live?path=' + encodeURIComponent(location.pathname + location.search) + '&v=' + encodeURIComponent(v);
          const es = new EventSource(url);
          const pending = {};
          const busy = el => (el.contains(document.activeElement) && document.activeElement !== document.body) || el.querySelector('details[open]');
          const apply = id => {
            const el = document.getElementById(id), next = pending[id];
            if (!el || !next || busy(el)) return;
            delete pending[id];
            el.style.minHeight = el.offsetHeight + 'px';
            el.innerHTML = next.html;
            el.dataset.v = next.v;
          };
          const flush = () => setTimeout(() => Object.keys(pending).forEach(apply), 0);
          es.addEventListener('region', e => { const d = JSON.parse(e.data); pending[d.id] = d; apply(d.id); });
          es.addEventListener('signedout', () => { es.close(); location.assign('/signin'); });
          document.addEventListener('focusout', flush);
          document.addEventListener('toggle', flush, true);
        })();
        """;
}
