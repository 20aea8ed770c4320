import { renderHtmlReport } from './html.js';
import { loadReportSources, type ReportSources } from './load.js';
import { replaceFiles } from '../util/atomic-folder.js';

/** Renders the report of a kit output folder to `file`; returns what it drew from. */
export function writeHtmlReport(dir: string, file: string, opts: Parameters<typeof loadReportSources>[1] = {}): ReportSources {
  const sources = loadReportSources(dir, opts);
  replaceFiles([{ path: file, data: renderHtmlReport(sources) }], 'cli');
  return sources;
}
