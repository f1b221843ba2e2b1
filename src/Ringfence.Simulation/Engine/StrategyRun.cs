using Ringfence.Agent.StateMachine;
using Ringfence.Rollouts.Health;
using Ringfence.Simulation.Fleet;
using Ringfence.Simulation.Output;
using Ringfence.Simulation.Scenarios;

namespace Ringfence.Simulation.Engine;

/// <summary>
/// One strategy over one fleet in virtual time. Hosts are touched only when something happens to them (a ring
/// opens, a crash, a boot, a repair); the control plane is called once per virtual minute with aggregated
/// observations. Every per-host agent transition goes through the real <see cref="AgentMachine"/>; agent states are
/// kept only for hosts that ever received the content (the others still run the baseline).
/// </summary>
internal sealed class StrategyRun
{
    internal const long Baseline = 1;
    internal const long Content = 2;
    private const double StepMinutes = 10;
    private const double CrashAfterLoadMinutes = 0.2;
    private const double HeartbeatTimeoutMinutes = 10;

    private const byte Up = 0, Down = 1, Stuck = 2;
    private const byte FExposed = 1, FContentCrashed = 2, FManual = 4, FContentDown = 8, FHitOnLoad = 16, FAttributed = 32, FDownExposed = 64, FSelfHealed = 128;

    private readonly FleetModel _fleet;
    private readonly Scenario _scenario;
    private readonly StrategySpec _spec;
    private readonly FaultPlan _faults;
    private readonly IRolloutDriver _driver;
    private readonly byte[]? _ringOf;
    private readonly IReadOnlyList<string> _ringNames;
    private readonly bool[] _receives;
    private readonly bool _legacy;
    private readonly AgentOptions _optsNormal;
    private readonly AgentOptions _optsGood;
    private readonly int _seed;
    private readonly int _minutes;
    private readonly EventQueue _queue;

    private readonly byte[] _state;
    private readonly byte[] _flags;
    private readonly float[] _downSince;
    private readonly int[] _slot;
    private readonly List<AgentState[]> _agentChunks = [];
    private int _agentCount;
    private readonly List<int> _exposedHosts = [];

    private readonly float[] _orgNextFree;
    private readonly float[] _orgTechs;

    // Totals.
    private long _exposed, _crashed, _manual, _fixRecovered, _channelRecovered, _selfHealed, _backgroundCrashes, _crashEvents;
    private double _downtimeMinutes, _cpuHostMinutes;
    private readonly double[] _sectorDowntime;
    private readonly long[] _sectorHosts, _sectorExposed, _sectorCrashed, _sectorManual;
    private readonly long[] _ringHosts, _ringExposed, _ringCrashed;
    private readonly double?[] _ringOpenedAt;
    private double? _haltedAt;

    // Series (difference arrays per step).
    private readonly int _steps;
    private readonly long[] _dExposed, _dCrashed, _dDown, _dContentDown;
    private readonly long[][] _dSectorDown, _dSectorCrashed;

    // Gate window (since the current ring started).
    private long _reportedExposed, _ringReportedExposed, _exposedDown;
    private double _exposedHostHours, _controlHostHours;
    private long _exCrashes, _exReverts, _exHbLoss, _ctlCrashes, _ctlReverts, _ctlHbLoss, _attributed;
    private readonly long _receivingHosts;

    // Host-hours are observed per group, as heartbeats would: hosts that just loaded content were online to load it, so
    // the fleet-wide online share would undercount exposed host-hours and make healthy content look crash-prone.
    private const int OnlineSampleSize = 16_384;
    private readonly int[] _onlineSample;
    private readonly int[] _exposedSample = new int[OnlineSampleSize];
    private int _exposedSampleCount;
    private double _controlOnlineShare = 1, _exposedOnlineShare = 1;
    private long _exposedAtSample;

    public StrategyRun(FleetModel fleet, Scenario scenario, StrategySpec spec, FaultPlan faults, ContentModel content,
        IRolloutDriver driver, byte[]? ringOf, IReadOnlyList<string> ringNames, bool legacyAgents, int seed)
    {
        _fleet = fleet;
        _scenario = scenario;
        _spec = spec;
        _faults = faults;
        _driver = driver;
        _ringOf = ringOf;
        _ringNames = ringNames;
        _legacy = legacyAgents;
        _seed = seed;
        _minutes = (int)Math.Ceiling(scenario.DurationHours * 60);
        _queue = new EventQueue(_minutes);
        var la = scenario.LegacyAgent;
        var model = legacyAgents ? AgentModel.Legacy2024 : AgentModel.SelfHealing;
        var repair = TimeSpan.FromMinutes(scenario.Repair.MinutesPerHost);
        _optsNormal = new AgentOptions(model, ManualRepairTime: repair, QuickMachineRecovery: la.RecoveryChannel,
            RecoveryAfterFailedBoots: la.RecoveryAfterFailedBoots, FixFetchProbability: la.FixWinsPerBootNormalNetwork);
        _optsGood = _optsNormal with { FixFetchProbability = la.FixWinsPerBootGoodNetwork };

        var n = fleet.Count;
        _state = new byte[n];
        _flags = new byte[n];
        _downSince = new float[n];
        _slot = new int[n];
        Array.Fill(_slot, -1);
        _receives = [.. fleet.Configs.Select(c => content.Receives(c.AgentBuild))];

        _orgNextFree = new float[fleet.Organisations.Length];
        _orgTechs = [.. fleet.Organisations.Select(o => (float)Math.Max(1, o.Count * scenario.Repair.TechniciansPerThousandHosts / 1000))];

        var sectors = fleet.Sectors.Length;
        _sectorDowntime = new double[sectors];
        _sectorHosts = new long[sectors];
        _sectorExposed = new long[sectors];
        _sectorCrashed = new long[sectors];
        _sectorManual = new long[sectors];
        var rings = ringNames.Count;
        _ringHosts = new long[rings];
        _ringExposed = new long[rings];
        _ringCrashed = new long[rings];
        _ringOpenedAt = new double?[rings];
        for (var h = 0; h < n; h++)
        {
            _sectorHosts[fleet.Sector[h]]++;
            if (_receives[fleet.Config[h]])
            {
                _receivingHosts++;
                var r = ringOf is null ? 0 : ringOf[h];
                if (r < rings)
                    _ringHosts[r]++;
            }
        }

        _steps = (int)Math.Ceiling(_minutes / StepMinutes) + 1;
        _dExposed = new long[_steps + 1];
        _dCrashed = new long[_steps + 1];
        _dDown = new long[_steps + 1];
        _dContentDown = new long[_steps + 1];
        _dSectorDown = [.. Enumerable.Range(0, sectors).Select(_ => new long[_steps + 1])];
        _dSectorCrashed = [.. Enumerable.Range(0, sectors).Select(_ => new long[_steps + 1])];

        // A fixed random sample tells what share of receiving hosts is online now (for host-hours).
        var sample = new List<int>();
        for (var i = 0; i < OnlineSampleSize && n > 0; i++)
        {
            var h = (int)(HashRng.Hash(seed, i, Purpose.Segment, 99) % (ulong)n);
            if (_receives[fleet.Config[h]])
                sample.Add(h);
        }
        _onlineSample = [.. sample];
    }

    /// <summary>Keep each host's ring and exposure in the result (<see cref="StrategyResult.Hosts"/>).</summary>
    public bool RecordHosts { get; init; }

    public StrategyResult Run(IProgress<double>? progress, CancellationToken cancel)
    {
        ScheduleBackgroundCrashes();
        Action<SimEvent> visit = Handle;
        for (var m = 0; m < _minutes; m++)
        {
            if (m % 10 == 0 && _driver.Observes)
                SampleOnlineShares(m);
            AccrueHostHours(1);
            var outcome = _driver.Tick(m, Observe());
            foreach (var ring in outcome.RingsOpened)
                OpenRing(ring, m);
            if (outcome.Halted && _haltedAt is null)
                _haltedAt = m;
            if (outcome.RolledBack)
                RollBack(m);
            _queue.Drain(m, visit);
            if ((m & 255) == 0)
            {
                cancel.ThrowIfCancellationRequested();
                progress?.Report((double)m / _minutes);
            }
        }
        return Finish();
    }

    private AgentOptions Options(int h) => (_fleet.Flags[h] & FleetModel.FlagGoodNetwork) != 0 ? _optsGood : _optsNormal;

    private int MaxBoots(int h) => (_fleet.Flags[h] & FleetModel.FlagGoodNetwork) != 0 ? _scenario.LegacyAgent.MaxBootsGoodNetwork : _scenario.LegacyAgent.MaxBootsNormalNetwork;

    private DateTimeOffset Now(double minute) => _scenario.ReleaseUtc.AddMinutes(minute);

    private ref AgentState Agent(int h)
    {
        var slot = _slot[h];
        if (slot < 0)
        {
            slot = _agentCount++;
            _slot[h] = slot;
            if ((slot >> 16) >= _agentChunks.Count)
                _agentChunks.Add(new AgentState[1 << 16]);
            _agentChunks[slot >> 16][slot & 0xFFFF] = AgentState.Initial(Baseline);
        }
        return ref _agentChunks[slot >> 16][slot & 0xFFFF];
    }

    private int Step(double minute) => Math.Min(_steps, (int)(minute / StepMinutes));

    private void OpenRing(int ring, double minute)
    {
        if (ring < _ringOpenedAt.Length)
            _ringOpenedAt[ring] = minute;
        _ringReportedExposed = 0;
        _exposedHostHours = _controlHostHours = 0;
        _exCrashes = _exReverts = _exHbLoss = _ctlCrashes = _ctlReverts = _ctlHbLoss = 0;
        var boot = _scenario.Fleet.BootMinutes;
        for (var h = 0; h < _fleet.Count; h++)
        {
            if (_ringOf is not null && _ringOf[h] != ring)
                continue;
            if (!_receives[_fleet.Config[h]] || _state[h] != Up || (_flags[h] & FExposed) != 0)
                continue;
            _queue.Add(_fleet.NextCheckIn(h, minute, boot), h, EventKind.Load);
        }
    }

    private void RollBack(double minute)
    {
        var boot = _scenario.Fleet.BootMinutes;
        foreach (var h in _exposedHosts)
        {
            if (_state[h] == Up)
                _queue.Add(_fleet.NextCheckIn(h, minute, boot), h, EventKind.Rollback);
        }
    }

    private void Handle(SimEvent e)
    {
        switch (e.Kind)
        {
            case EventKind.Load: OnLoad(e.Host, e.Time); break;
            case EventKind.Crash: OnCrash(e.Host, e.Time, e.Arg); break;
            case EventKind.ExtraCrash: OnExtraCrash(e.Host, e.Time, e.Arg); break;
            case EventKind.BackgroundCrash: OnBackgroundCrash(e.Host, e.Time); break;
            case EventKind.Boot: OnBoot(e.Host, e.Time); break;
            case EventKind.RepairDone: OnRepaired(e.Host, e.Time); break;
            case EventKind.Rollback: OnRollback(e.Host, e.Time); break;
            case EventKind.ReportExposed: OnReportExposed(e.Host); break;
            case EventKind.ReportCrash: OnReportCrash(e.Host, e.Arg); break;
            case EventKind.HeartbeatCheck: OnHeartbeatCheck(e.Host, e.Arg); break;
            default: break;
        }
    }

    private void OnLoad(int h, double t)
    {
        if (_state[h] != Up || !_driver.Exposing || (_flags[h] & FExposed) != 0)
            return;
        ref var a = ref Agent(h);
        var opts = Options(h);
        a = AgentMachine.Tick(a, Now(t), opts).State;
        var step = AgentMachine.Offer(a, Content, Now(t), opts);
        a = step.State;
        if (!step.Has(AgentEffects.LoadContent))
            return;
        _flags[h] |= FExposed;
        _exposedHosts.Add(h);
        _exposed++;
        _sectorExposed[_fleet.Sector[h]]++;
        if (_ringOf is null)
            _ringExposed[0]++;
        else if (_ringOf[h] < _ringExposed.Length)
            _ringExposed[_ringOf[h]]++;
        _dExposed[Step(t)]++;
        if (_driver.Observes)
            _queue.Add(t + _scenario.Fleet.TelemetryLatencyMinutes, h, EventKind.ReportExposed);
        ContentLoaded(h, t, firstLoad: true);
    }

    /// <summary>The bad content was just loaded (at check-in or at boot): the fault models decide what happens.</summary>
    private void ContentLoaded(int h, double t, bool firstLoad)
    {
        var faults = _faults.Faults;
        for (var i = 0; i < faults.Count; i++)
        {
            var f = faults[i];
            if (!f.Matches(_fleet, h))
                continue;
            switch (f.Kind)
            {
                case FaultKinds.CrashOnLoad or FaultKinds.Interpreter or FaultKinds.TimeBomb:
                    if (firstLoad ? HashRng.Unit(_seed, h, Purpose.FaultHit, i) < f.Probability : (_flags[h] & FHitOnLoad) != 0)
                    {
                        _flags[h] |= FHitOnLoad;
                        if (f.DelayMinutes <= 0 && firstLoad)
                            CrashNow(h, t + CrashAfterLoadMinutes, contentFault: true, inContent: true); // nothing can happen to it in between
                        else
                            _queue.Add(t + CrashAfterLoadMinutes + f.DelayMinutes, h, EventKind.Crash, 1);
                    }
                    break;
                case FaultKinds.CrashRate when firstLoad && f.Factor > 1:
                    ScheduleExtraCrash(h, t, f, 0);
                    break;
                case FaultKinds.CpuRegression when firstLoad:
                    _cpuHostMinutes += f.CpuPercent / 100 * (_minutes - t);
                    break;
                default:
                    break;
            }
        }
    }

    private void ScheduleExtraCrash(int h, double t, CompiledFault f, int counter)
    {
        var ratePerMinute = _scenario.Fleet.BackgroundCrashesPerHostDay * (f.Factor - 1) / 1440;
        var u = HashRng.Unit(_seed, h, Purpose.Background, 1000 + counter);
        var dt = -Math.Log(1 - u) / ratePerMinute;
        _queue.Add(t + dt, h, EventKind.ExtraCrash, (byte)Math.Min(counter + 1, 255));
    }

    private void OnExtraCrash(int h, double t, byte counter)
    {
        if (_state[h] != Up || _slot[h] < 0 || Agent(h).Active != Content)
            return;
        foreach (var f in _faults.Faults.Where(f => f.Kind == FaultKinds.CrashRate && f.Factor > 1 && f.Matches(_fleet, h)))
            ScheduleExtraCrash(h, t, f, counter);
        if (_fleet.IsOnline(h, t))
            CrashNow(h, t, contentFault: false, inContent: false);
    }

    private void OnBackgroundCrash(int h, double t)
    {
        if (_state[h] != Up || !_fleet.IsOnline(h, t))
            return;
        _backgroundCrashes++;
        // An unrelated crash lands inside an interpreter call (so the breadcrumb names the content) only rarely.
        var inContent = _slot[h] >= 0 && Agent(h).IsEvaluating && HashRng.Unit(_seed, h, Purpose.Attribution, (long)(t * 1000)) < _scenario.Fleet.BreadcrumbFalseAttribution;
        CrashNow(h, t, contentFault: false, inContent);
    }

    private void OnCrash(int h, double t, byte arg)
    {
        if (_state[h] != Up || _slot[h] < 0 || Agent(h).Active != Content)
            return;
        CrashNow(h, t, contentFault: arg == 1, inContent: arg == 1);
    }

    private void CrashNow(int h, double t, bool contentFault, bool inContent)
    {
        _crashEvents++;
        _state[h] = Down;
        _downSince[h] = (float)t;
        var s = Step(t);
        _dDown[s]++;
        _dSectorDown[_fleet.Sector[h]][s]++;
        var exposedNow = _slot[h] >= 0 && Agent(h).Active == Content;
        if (exposedNow)
        {
            _flags[h] |= FDownExposed;
            _exposedDown++;
        }
        else
        {
            _flags[h] = (byte)(_flags[h] & ~FDownExposed);
        }
        if (contentFault && (_flags[h] & FContentCrashed) == 0)
        {
            _flags[h] |= FContentCrashed | FContentDown;
            _crashed++;
            _sectorCrashed[_fleet.Sector[h]]++;
            _dCrashed[s]++;
            _dSectorCrashed[_fleet.Sector[h]][s]++;
            _dContentDown[s]++;
            var r = _ringOf is null ? 0 : _ringOf[h];
            if (r < _ringCrashed.Length)
                _ringCrashed[r]++;
        }
        else if (contentFault && (_flags[h] & FContentDown) == 0)
        {
            _flags[h] |= FContentDown;
            _dContentDown[s]++;
        }
        if (_slot[h] >= 0)
        {
            ref var a = ref Agent(h);
            a = AgentMachine.Crash(AgentMachine.Tick(a, Now(t), Options(h)).State, inContent, Options(h)).State;
        }
        if (_driver.Observes)
            _queue.Add(t + HeartbeatTimeoutMinutes, h, EventKind.HeartbeatCheck, exposedNow ? (byte)1 : (byte)0);
        if (_legacy && contentFault && double.IsFinite(_driver.FixTime))
            OnBoot(h, t + _scenario.Fleet.BootMinutes); // the whole boot loop can be played now (see OnBoot)
        else
            _queue.Add(t + _scenario.Fleet.BootMinutes, h, EventKind.Boot);
    }

    /// <summary>
    /// The host boots: the real state machine decides (revert, lucky fix download, or load the bad content again).
    /// A legacy boot loop is played out here, cycle after cycle, while the time of the fix is known (global push
    /// scripts it; a rollback fixes it once it happened): the host's own future does not depend on anything else,
    /// and one call instead of one event per crash keeps the full-scale replay fast.
    /// </summary>
    private void OnBoot(int h, double t)
    {
        if (_state[h] != Down)
            return;
        if (_slot[h] < 0)
        {
            BackUp(h, t, report: true, exposed: false, breadcrumb: false, revert: false);
            return;
        }
        ref var a = ref Agent(h);
        var opts = Options(h);
        var boot = _scenario.Fleet.BootMinutes;
        while (true)
        {
            var draw = HashRng.Unit(_seed, h, Purpose.FixRace, (long)(t * 1000));
            var env = new BootEnvironment(t >= _driver.FixTime ? Baseline : 0, NetworkAvailable: true, RaceDraw: draw);
            var wasExposed = a.Active == Content;
            var step = AgentMachine.Boot(a, Now(t), env, opts);
            a = step.State;
            if (step.Has(AgentEffects.FixFetchedAtBoot) && (_flags[h] & FContentDown) != 0)
                _fixRecovered++;
            if (step.Has(AgentEffects.RecoveredByRecoveryChannel) && (_flags[h] & FContentDown) != 0)
                _channelRecovered++;
            var revert = step.Has(AgentEffects.ReportRevert);
            var breadcrumb = step.Has(AgentEffects.ReportCrashBreadcrumb);
            if (revert && (_flags[h] & FContentDown) != 0 && (_flags[h] & FSelfHealed) == 0)
            {
                _flags[h] |= FSelfHealed;
                _selfHealed++;
            }

            if (a.Active != Content || (_flags[h] & FHitOnLoad) == 0)
            {
                BackUp(h, t, report: true, exposed: wasExposed, breadcrumb, revert);
                return;
            }

            // The bad content loads again at boot: a boot loop, unless the OS gives up and waits for a person.
            if (_legacy && !opts.QuickMachineRecovery && a.FailedBoots >= MaxBoots(h))
            {
                GetStuck(h, t);
                return;
            }
            if (LoopDelay(h) >= 1)
            {
                // A time bomb: up for a while, then down again.
                BackUp(h, t, report: true, exposed: true, breadcrumb, revert);
                ContentLoaded(h, t, firstLoad: false);
                return;
            }
            _crashEvents++;
            a = AgentMachine.Crash(a, true, opts).State;
            var next = t + CrashAfterLoadMinutes + boot;
            if (!double.IsFinite(_driver.FixTime) || next >= _minutes)
            {
                _queue.Add(next, h, EventKind.Boot);
                return;
            }
            t = next;
        }
    }

    /// <summary>How long after a boot-time load the content's crash faults fire on this host.</summary>
    private double LoopDelay(int h)
    {
        var delay = double.PositiveInfinity;
        foreach (var f in _faults.Faults)
        {
            if (f.Kind is FaultKinds.CrashOnLoad or FaultKinds.Interpreter or FaultKinds.TimeBomb && f.Matches(_fleet, h))
                delay = Math.Min(delay, f.DelayMinutes);
        }
        return delay;
    }

    private void BackUp(int h, double t, bool report, bool exposed, bool breadcrumb, bool revert)
    {
        _state[h] = Up;
        // A host that was down when its ring opened (or at the check-in that would have fetched the content) checks in
        // after booting and is offered it then, as a real control plane offers it at the next check-in.
        var ring = _ringOf is null ? 0 : _ringOf[h];
        if (_driver.Exposing && (_flags[h] & FExposed) == 0 && _receives[_fleet.Config[h]] && ring < _ringOpenedAt.Length && _ringOpenedAt[ring] is not null)
            _queue.Add(_fleet.NextCheckIn(h, t, _scenario.Fleet.BootMinutes), h, EventKind.Load);
        var down = t - _downSince[h];
        _downtimeMinutes += down;
        _sectorDowntime[_fleet.Sector[h]] += down;
        var s = Step(t);
        _dDown[s]--;
        _dSectorDown[_fleet.Sector[h]][s]--;
        if ((_flags[h] & FDownExposed) != 0)
        {
            _flags[h] = (byte)(_flags[h] & ~FDownExposed);
            _exposedDown--;
        }
        if ((_flags[h] & FContentDown) != 0 && (_slot[h] < 0 || Agent(h).Active != Content))
        {
            _flags[h] = (byte)(_flags[h] & ~FContentDown);
            _dContentDown[s]--;
        }
        if (report && _driver.Observes)
        {
            var arg = (byte)((exposed ? 4 : 0) | (breadcrumb ? 1 : 0) | (revert ? 2 : 0));
            _queue.Add(t + _scenario.Fleet.TelemetryLatencyMinutes, h, EventKind.ReportCrash, arg);
        }
    }

    private void GetStuck(int h, double t)
    {
        _state[h] = Stuck;
        if ((_flags[h] & FManual) == 0)
        {
            _flags[h] |= FManual;
            _manual++;
            _sectorManual[_fleet.Sector[h]]++;
        }
        var org = _fleet.Org[h];
        var rp = _scenario.Repair;
        var start = Math.Max(t + (rp.ResponseDelayHours * 60), _orgNextFree[org]);
        _orgNextFree[org] = (float)(start + (rp.MinutesPerHost / _orgTechs[org]));
        _queue.Add(start + rp.MinutesPerHost, h, EventKind.RepairDone);
    }

    private void OnRepaired(int h, double t)
    {
        if (_state[h] != Stuck)
            return;
        ref var a = ref Agent(h);
        a = AgentMachine.ManualRepair(a, t >= _driver.FixTime ? Baseline : 0, Options(h)).State;
        BackUp(h, t, report: true, exposed: true, breadcrumb: false, revert: false);
    }

    private void OnRollback(int h, double t)
    {
        if (_state[h] != Up || _slot[h] < 0)
            return;
        ref var a = ref Agent(h);
        if (a.Active != Content)
            return;
        a = AgentMachine.Rollback(a, Content, Baseline, Options(h)).State;
        foreach (var f in _faults.Faults.Where(f => f.Kind == FaultKinds.CpuRegression && f.Matches(_fleet, h)))
            _cpuHostMinutes -= f.CpuPercent / 100 * (_minutes - t);
    }

    private void OnReportExposed(int h)
    {
        _reportedExposed++;
        // Reservoir sample of the reported-exposed hosts, uniform over all of them, to measure their online share.
        if (_exposedSampleCount < OnlineSampleSize)
        {
            _exposedSample[_exposedSampleCount++] = h;
        }
        else
        {
            var j = HashRng.Hash(_seed, _reportedExposed, Purpose.ExposedSample, 0) % (ulong)_reportedExposed;
            if (j < OnlineSampleSize)
                _exposedSample[j] = h;
        }
        if (_ringOf is null || _ringOf[h] == _driver.CurrentRing)
            _ringReportedExposed++;
    }

    private void OnReportCrash(int h, byte arg)
    {
        var exposed = (arg & 4) != 0;
        if (exposed)
        {
            _exCrashes++;
            if ((arg & 2) != 0)
                _exReverts++;
        }
        else if (_receives[_fleet.Config[h]])
        {
            _ctlCrashes++;
        }
        if ((arg & 1) != 0 && (_flags[h] & FAttributed) == 0)
        {
            _flags[h] |= FAttributed;
            _attributed++;
        }
    }

    private void OnHeartbeatCheck(int h, byte arg)
    {
        if (_state[h] == Up)
            return;
        if (arg == 1)
            _exHbLoss++;
        else if (_receives[_fleet.Config[h]])
            _ctlHbLoss++;
    }

    private void ScheduleBackgroundCrashes()
    {
        var n = _fleet.Count;
        var mean = n * _scenario.Fleet.BackgroundCrashesPerHostDay * (_minutes / 1440.0);
        // Poisson count: exact for small means, normal approximation for large ones.
        long k;
        if (mean < 50)
        {
            var limit = Math.Exp(-mean);
            var p = 1.0;
            k = -1;
            var i = 0;
            do
            {
                k++;
                p *= HashRng.Unit(_seed, -1, Purpose.Background, i++);
            }
            while (p > limit);
        }
        else
        {
            var u1 = Math.Max(1e-12, HashRng.Unit(_seed, -1, Purpose.Background, 1));
            var u2 = HashRng.Unit(_seed, -1, Purpose.Background, 2);
            var z = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
            k = Math.Max(0, (long)Math.Round(mean + (z * Math.Sqrt(mean))));
        }
        for (long i = 0; i < k; i++)
        {
            var h = (int)(HashRng.Hash(_seed, i, Purpose.Background, 7) % (ulong)n);
            var t = HashRng.Unit(_seed, i, Purpose.BackgroundTime) * _minutes;
            _queue.Add(t, h, EventKind.BackgroundCrash);
        }
    }

    private void SampleOnlineShares(double minute)
    {
        _controlOnlineShare = OnlineShare(_onlineSample, minute, skipExposed: true);
        _exposedOnlineShare = OnlineShare(_exposedSample.AsSpan(0, _exposedSampleCount), minute, skipExposed: false);
        _exposedAtSample = _reportedExposed;
    }

    private double OnlineShare(ReadOnlySpan<int> sample, double minute, bool skipExposed)
    {
        int seen = 0, online = 0;
        foreach (var h in sample)
        {
            if (skipExposed && (_flags[h] & FExposed) != 0)
                continue;
            seen++;
            if (_fleet.IsOnline(h, minute))
                online++;
        }
        return seen == 0 ? 1 : (double)online / seen;
    }

    private void AccrueHostHours(double minutes)
    {
        // Exposed hosts are observed whether up or down: a boot-looping host is exactly what heartbeat loss measures.
        // Hosts exposed since the last sample were online when they loaded the content, so they count as online.
        var exposedOnline = (_exposedAtSample * _exposedOnlineShare) + (_reportedExposed - _exposedAtSample);
        var controlOnline = Math.Max(0, _receivingHosts - _reportedExposed) * _controlOnlineShare;
        _exposedHostHours += exposedOnline * minutes / 60;
        _controlHostHours += controlOnline * minutes / 60;
    }

    private RingObservation Observe()
    {
        var ring = _driver.CurrentRing;
        var eligible = ring < _ringHosts.Length ? (int)Math.Min(int.MaxValue, _ringHosts[ring]) : -1;
        var health = Observations.Sample(new GroupCounts(_exposedHostHours, _exCrashes, _exReverts, _exHbLoss),
            new GroupCounts(_controlHostHours, _ctlCrashes, _ctlReverts, _ctlHbLoss), _attributed);
        var peer = new PeerStats(_reportedExposed, _exCrashes + _exHbLoss, Math.Max(0, _receivingHosts - _reportedExposed), _ctlCrashes + _ctlHbLoss);
        return new RingObservation(ring, eligible, (int)Math.Min(int.MaxValue, _ringReportedExposed), health, peer);
    }

    private StrategyResult Finish()
    {
        // Hosts still down at the end count their downtime up to the horizon.
        for (var h = 0; h < _fleet.Count; h++)
        {
            if (_state[h] == Up)
                continue;
            var down = _minutes - _downSince[h];
            _downtimeMinutes += down;
            _sectorDowntime[_fleet.Sector[h]] += down;
        }

        var minutes = new double[_steps];
        var exposed = Cumulate(_dExposed);
        var crashed = Cumulate(_dCrashed);
        var downSeries = Cumulate(_dDown);
        var contentDown = Cumulate(_dContentDown);
        for (var i = 0; i < _steps; i++)
            minutes[i] = i * StepMinutes;
        var peak = 0L;
        var peakAt = 0.0;
        for (var i = 0; i < _steps; i++)
        {
            if (downSeries[i] > peak)
            {
                peak = downSeries[i];
                peakAt = minutes[i];
            }
        }
        double? to99 = null;
        if (_crashed > 0)
        {
            var last = -1;
            for (var i = 0; i < _steps; i++)
            {
                if (contentDown[i] > 0.01 * _crashed)
                    last = i;
            }
            to99 = last + 1 < _steps ? Math.Round((last + 1) * StepMinutes / 60, 2) : null;
        }
        var sectors = _fleet.Sectors;
        return new StrategyResult
        {
            Name = _spec.Name,
            Type = _spec.Type,
            Agents = _legacy ? "legacy" : "self-healing",
            HostsInFleet = _fleet.Count,
            HostsExposed = _exposed,
            HostsCrashed = _crashed,
            HostsNeedingManualRepair = _manual,
            HostsRecoveredByFixDownload = _fixRecovered,
            HostsRecoveredByRecoveryChannel = _channelRecovered,
            HostsSelfHealed = _selfHealed,
            PeakHostsDown = peak,
            PeakHostsDownAtMinute = peakAt,
            DowntimeHostHours = Math.Round(_downtimeMinutes / 60, 1),
            ManualRepairPersonHours = Math.Round(_manual * _scenario.Repair.MinutesPerHost / 60, 1),
            MinutesReleaseToHalt = _haltedAt,
            Halted = _haltedAt is not null,
            FalseHalt = _haltedAt is not null && !_faults.Faulty,
            HoursTo99PercentRecovered = to99,
            BackgroundCrashes = _backgroundCrashes,
            CrashEvents = _crashEvents,
            CpuRegressionHostHours = Math.Round(_cpuHostMinutes / 60, 1),
            BySector = [.. sectors.Select((s, i) => new SectorResult(s, _sectorHosts[i], _sectorExposed[i], _sectorCrashed[i], _sectorManual[i], Math.Round(_sectorDowntime[i] / 60, 1)))
                .Where(s => s.Hosts > 0)],
            ByRing = [.. _ringNames.Select((r, i) => new RingResult(i, r, _ringHosts[i], _ringExposed[i], _ringCrashed[i], _ringOpenedAt[i]))],
            Decisions = _driver.Decisions,
            Hosts = RecordHosts ? new HostOutcomes(_ringOf ?? new byte[_fleet.Count], [.. _flags.Select(f => (f & FExposed) != 0)]) : null,
            TimeSeries = new TimeSeries(StepMinutes, minutes, exposed, crashed, downSeries,
                sectors.Select((s, i) => (s, i)).Where(x => _sectorHosts[x.i] > 0).ToDictionary(x => x.s, x => (IReadOnlyList<long>)Cumulate(_dSectorDown[x.i])),
                sectors.Select((s, i) => (s, i)).Where(x => _sectorHosts[x.i] > 0).ToDictionary(x => x.s, x => (IReadOnlyList<long>)Cumulate(_dSectorCrashed[x.i]))),
        };
    }

    private long[] Cumulate(long[] diff)
    {
        var r = new long[_steps];
        var acc = 0L;
        for (var i = 0; i < _steps; i++)
        {
            acc += diff[i];
            r[i] = acc;
        }
        return r;
    }
}
