/** The Handlebars templates of templates/: loaded once, rendered strictly (a missing field throws). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { KitError } from '../errors.js';
import { PACKAGE_ROOT } from '../device/paths.js';

export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');

export class Templates {
  private readonly hbs = Handlebars.create();
  private readonly cache = new Map<string, Handlebars.TemplateDelegate>();

  constructor(readonly dir: string = TEMPLATES_DIR) {}

  /** templates/kernels/<template>.c.hbs, the kernel template of an op. */
  static kernelFile(template: string): string {
    return join('kernels', `${template}.c.hbs`);
  }

  has(file: string): boolean {
    return existsSync(join(this.dir, file));
  }

  render(file: string, context: object): string {
    let t = this.cache.get(file);
    if (!t) {
      const path = join(this.dir, file);
      if (!existsSync(path)) throw new KitError('template-missing', 'codegen', `no template ${path}`, 'reinstall kit, or add the template for this op');
      // C, not HTML: no escaping; strict: a field the context lacks is a bug, not an empty string.
      t = this.hbs.compile(readFileSync(path, 'utf8'), { noEscape: true, strict: true });
      this.cache.set(file, t);
    }
    return tidy(t(context));
  }
}

/** At most one blank line in a row, one newline at the end. */
function tidy(text: string): string {
  return text.replace(/[ \t]+$/gm, '').replace(/\n{3,}/g, '\n\n').replace(/\s*$/, '\n');
}
