/**
 * Probing connections and recording what the probe said: after a write, for every enabled connection (operators'
 * `reprobe`), and in the background after a bulk import. Every batch goes through the one probe pool
 * (./probe-pool.ts).
 */
import type { EntityManager } from 'typeorm';
import { lockAccessRelation } from '../../db/locks';
import { ConnectionEntity } from '../../entities/connection.entity';
import type { ProbeOutcome, ProbeService, ProbeTarget } from '../probe.service';
import { connectionBinding, type SecretBox } from '../secret-box';
import { forEachProbe } from './probe-pool';

export class ConnectionProbing {
  /** Background probes still running (awaited by {@link drain} at shutdown). */
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    private readonly probes: ProbeService,
    private readonly secrets: SecretBox,
  ) {}

  /** False when PROBE_TIMEOUT_MS is 0: probes are skipped. */
  get enabled(): boolean {
    return this.probes.enabled;
  }

  /** The probe target of a stored connection (its password opened). */
  targetOf(row: Pick<ConnectionEntity, 'name' | 'host' | 'port' | 'username' | 'passwordEncrypted'>): ProbeTarget {
    return { host: row.host, port: row.port, user: row.username, password: this.secrets.open(row.passwordEncrypted, connectionBinding(row.name)) };
  }

  /**
   * Probes outside any transaction (a probe may take PROBE_TIMEOUT_MS) and records the outcome only if no newer
   * change has asked for another probe meanwhile. A successful probe writes `pg_version`, an automatic tag: it
   * changes what roles match, so it takes the access-relation lock first, like every other tag write (see
   * src/db/locks.ts: without it, the maintenance trigger would take that lock after this row's lock, the reverse of
   * every other writer's order, and deadlock against a concurrent role or connection write).
   */
  async probeAndRecord(manager: EntityManager, id: number, generation: number, target: ProbeTarget): Promise<ProbeOutcome> {
    const outcome = await this.probes.probe(target);
    if (outcome.status === 'skipped') return outcome;
    const changes: Partial<ConnectionEntity> =
      outcome.status === 'connected'
        ? { connected: true, pgVersion: outcome.version, lastProbeError: null, lastProbeAt: new Date() }
        : { connected: false, lastProbeError: outcome.error, lastProbeAt: new Date() };
    const record = async (tx: EntityManager) => {
      if (outcome.status === 'connected') await lockAccessRelation(tx);
      await tx
        .createQueryBuilder()
        .update(ConnectionEntity)
        .set(changes)
        .where('id = :id AND probe_generation = :generation AND enabled', { id, generation })
        .execute();
    };
    if (manager.queryRunner?.isTransactionActive) await record(manager);
    else await manager.transaction(record);
    return outcome;
  }

  /** Re-probes every enabled connection through the probe pool; `onProgress` after each. */
  async reprobeAll(manager: EntityManager, onProgress?: (done: number, total: number) => void): Promise<{ connected: number; failed: number }> {
    const rows = await manager.find(ConnectionEntity, { where: { enabled: true }, order: { name: 'ASC' } });
    let connected = 0;
    let failed = 0;
    let done = 0;
    await forEachProbe(rows, async (row) => {
      const generation = row.probeGeneration + 1;
      await manager.update(ConnectionEntity, { id: row.id }, { probeGeneration: generation });
      const outcome = await this.probeAndRecord(manager, row.id, generation, this.targetOf(row));
      if (outcome.status === 'connected') connected += 1;
      else failed += 1;
      onProgress?.(++done, rows.length);
    });
    return { connected, failed };
  }

  /** Probes the enabled ones of `targets` (just created, by name) in the background, through the probe pool. */
  probeInBackground(manager: EntityManager, targets: readonly { name: string; enabled: boolean; target: ProbeTarget }[]): void {
    const work = forEachProbe(
      targets.filter((t) => t.enabled),
      async (t) => {
        const row = await manager.findOneBy(ConnectionEntity, { name: t.name }).catch(() => null);
        if (!row) return;
        await this.probeAndRecord(manager, row.id, row.probeGeneration, t.target).catch(() => undefined);
      },
    );
    this.background.add(work);
    void work.finally(() => this.background.delete(work));
  }

  /** Waits for background probes (bounded by the probe timeout each), for a clean shutdown. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.background]);
  }
}
