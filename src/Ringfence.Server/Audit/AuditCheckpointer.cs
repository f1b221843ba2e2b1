using Ringfence.Server.Hosting;
using Ringfence.Server.Storage;

namespace Ringfence.Server.Audit;

/// <summary>
/// Signs the audit log's head: a checkpoint once <see cref="RingfenceServerOptions.AuditCheckpointEvery"/> entries are
/// unsigned or the oldest unsigned one is <see cref="RingfenceServerOptions.AuditCheckpointPeriod"/> old, stored and
/// published in the TUF metadata in one transaction, under the lock audit appends take (so the head cannot move meanwhile).
/// </summary>
public sealed partial class AuditCheckpointer(Database db, RingfenceServerOptions options, TimeProvider time, AuditSigner signer,
    Tuf.ServerTufRepository tuf, ILogger<AuditCheckpointer> logger)
{
    /// <summary>Signs the head if a checkpoint is due (or whenever there are unsigned entries, with <paramref name="force"/>); returns the new checkpoint.</summary>
    public async Task<AuditCheckpoint?> CheckpointAsync(bool force, CancellationToken ct)
    {
        // A cheap read first: most polls find nothing due and should not take the single SQLite writer.
        await using (var read = await db.OpenAsync(ct))
        {
            var latest = await AuditCheckpointStore.LatestAsync(read, null, ct);
            if (!Due(latest, await HeadOfAsync(read, null, latest), force))
                return null;
        }
        var checkpoint = await db.InTransactionAsync(async (c, tx) =>
        {
            if (db.Provider == StorageProvider.Postgres)
                await Dapper.SqlMapper.ExecuteAsync(c, "SELECT pg_advisory_xact_lock(7340002)", transaction: tx);
            var last = await AuditCheckpointStore.LatestAsync(c, tx, ct);
            var head = await HeadOfAsync(c, tx, last);
            if (!Due(last, head, force))
                return null;
            var signed = AuditCheckpoint.Sign(head!.Value.Seq, head.Value.Hash, Now, signer.Key);
            await AuditCheckpointStore.InsertAsync(c, tx, signed);
            await tuf.PublishAuditCheckpointAsync(c, tx, signed);
            return signed;
        }, ct);
        if (checkpoint is not null)
            LogSigned(checkpoint.Seq, checkpoint.HeadHash[..12]);
        return checkpoint;
    }

    private static async Task<(long Seq, string Hash, long? FirstUnsignedAt)?> HeadOfAsync(System.Data.Common.DbConnection c,
        System.Data.Common.DbTransaction? tx, AuditCheckpoint? last) =>
        await AuditCheckpointStore.HeadAsync(c, tx, last?.Seq ?? 0);

    private bool Due(AuditCheckpoint? last, (long Seq, string Hash, long? FirstUnsignedAt)? head, bool force)
    {
        if (head is not { } h || h.Seq <= (last?.Seq ?? 0))
            return false;
        return force
            || h.Seq - (last?.Seq ?? 0) >= options.AuditCheckpointEvery
            || (h.FirstUnsignedAt is { } first && Now - first >= (long)options.AuditCheckpointPeriod.TotalMilliseconds);
    }

    private long Now => time.GetUtcNow().ToUnixTimeMilliseconds();

    [LoggerMessage(EventId = 1202, Level = LogLevel.Debug, Message = "Signed audit checkpoint at entry {Seq} (head {Head})")]
    private partial void LogSigned(long seq, string head);
}

/// <summary>
/// Polls for a due checkpoint (every second, or every period when that is shorter) and signs the tail at a clean stop,
/// so a stopped server leaves no unsigned entries. Runs where the controller runs.
/// </summary>
public sealed partial class AuditCheckpointService(AuditCheckpointer checkpointer, RingfenceServerOptions options, TimeProvider time,
    ILogger<AuditCheckpointService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = options.AuditCheckpointPeriod < TimeSpan.FromSeconds(1) ? options.AuditCheckpointPeriod : TimeSpan.FromSeconds(1);
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await checkpointer.CheckpointAsync(force: false, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFailed(ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await checkpointer.CheckpointAsync(force: true, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(ex);
        }
    }

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Could not sign an audit checkpoint; retrying at the next poll")]
    private partial void LogFailed(Exception ex);
}
