/** The HTML report's Handlebars templates (templates/report/), HTML-escaped. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { PACKAGE_ROOT } from '../device/paths.js';
import { KitError } from '../errors.js';

export const REPORT_TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates', 'report');

export class Templates {
  private readonly hbs = Handlebars.create();
  private readonly cache = new Map<string, Handlebars.TemplateDelegate>();

  constructor(readonly dir: string = REPORT_TEMPLATES_DIR) {}

  render(file: string, context: object): string {
    let t = this.cache.get(file);
    if (!t) {
      const path = join(this.dir, file);
      if (!existsSync(path)) throw new KitError('template-missing', 'cli', `no report template ${path}`, 'reinstall kit');
      // Not strict: charts leave optional attributes (a title, a dash) out.
      t = this.hbs.compile(readFileSync(path, 'utf8'));
      this.cache.set(file, t);
    }
    return t(context);
  }
}
