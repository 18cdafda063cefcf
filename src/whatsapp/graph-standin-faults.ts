/** Faults the lookup route (`GET /:version/:mediaId`) plays. */
export const LOOKUP_FAULTS = [
  'lookup-500',
  'lookup-429',
  'graph-error-100',
  'graph-error-190',
  'oversize-announced',
] as const;

/** Faults the download route (the lookaside-like URL) plays. */
export const DOWNLOAD_FAULTS = [
  'download-500',
  'download-expired-401',
  'download-404',
  'html',
  'hang',
  'wrong-bytes',
  'redirect-offsite',
] as const;

export type LookupFault = (typeof LOOKUP_FAULTS)[number];
export type DownloadFault = (typeof DOWNLOAD_FAULTS)[number];
export type StandinFault = LookupFault | DownloadFault;

export const STANDIN_FAULTS: readonly StandinFault[] = [...LOOKUP_FAULTS, ...DOWNLOAD_FAULTS];

/** Size the lookup announces under 'oversize-announced' (1 GiB, as a string like Graph sometimes sends). */
export const OVERSIZE_ANNOUNCED = String(1024 ** 3);

/** Where 'redirect-offsite' sends the download: a host no allow-list holds (.invalid never resolves). */
export const OFFSITE_URL = 'http://offsite.example.invalid/whatsapp_business/attachments/';

function isLookupFault(fault: StandinFault): fault is LookupFault {
  return (LOOKUP_FAULTS as readonly string[]).includes(fault);
}

/** Per media id, each armed fault and how many more requests it spoils. */
export class FaultBook {
  readonly #armed = new Map<string, Map<StandinFault, number>>();

  set(mediaId: string, fault: StandinFault, times = 1): void {
    if (!STANDIN_FAULTS.includes(fault)) throw new Error(`Unknown stand-in fault ${String(fault)}`);
    if (!(times >= 1)) throw new Error(`Fault ${fault} needs times >= 1 (Infinity for always), got ${times}`);
    const faults = this.#armed.get(mediaId) ?? new Map<StandinFault, number>();
    faults.set(fault, times);
    this.#armed.set(mediaId, faults);
  }

  clear(mediaId?: string): void {
    if (mediaId === undefined) this.#armed.clear();
    else this.#armed.delete(mediaId);
  }

  takeLookup(mediaId: string): LookupFault | undefined {
    return this.#take(mediaId, isLookupFault) as LookupFault | undefined;
  }

  takeDownload(mediaId: string): DownloadFault | undefined {
    return this.#take(mediaId, (fault) => !isLookupFault(fault)) as DownloadFault | undefined;
  }

  #take(mediaId: string, phase: (fault: StandinFault) => boolean): StandinFault | undefined {
    const faults = this.#armed.get(mediaId);
    if (!faults) return undefined;
    for (const [fault, remaining] of faults) {
      if (!phase(fault)) continue;
      if (remaining <= 1) faults.delete(fault);
      else faults.set(fault, remaining - 1);
      return fault;
    }
    return undefined;
  }
}
