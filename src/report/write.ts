import { renderHtmlReport } from './html.js';
import { loadReportSources, type ReportSources } from './load.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** Renders the report of a kit output folder to `file`; returns what it drew from. */
export function writeHtmlReport(dir: string, file: string, opts: { verifyFile?: string } = {}): ReportSources {
  const sources = loadReportSources(dir, opts);
  writeFileAtomic(file, renderHtmlReport(sources));
  return sources;
}
