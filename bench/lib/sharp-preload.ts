// Loaded with `node --import` into child services, so the BENCH_SHARP_* experiments reach them too.
import { applySharpSettings } from './settings.ts';

applySharpSettings();
