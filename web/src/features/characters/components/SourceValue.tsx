import { useI18n, type Translate } from '../../../i18n/index.js';

const SITES = ['baike', 'zhwiki', 'text', 'card'] as const;
type Site = (typeof SITES)[number];

/**
 * The provenance id stored in a profile (`baike:123`, `baike:bundled:li-bai`, `text:text:9f…`) in
 * words: the site, whether the bundled offline page was used, the page number.
 * @example describeSourceId(t, 'baike:bundled:li-bai') // '百度百科（内置的离线词条）'
 */
export function describeSourceId(t: Translate, id: string): string {
  const [site, ...rest] = id.split(':');
  if (!(SITES as readonly string[]).includes(site)) return id;
  const name = t(`source.${site as Site}`);
  if (site === 'text' || site === 'card') return name;
  if (rest[0] === 'bundled') return t('source.bundled', { site: name });
  return rest.length && /^\d+$/.test(rest.join(':')) ? t('source.page', { site: name, id: rest.join(':') }) : name;
}

/** One field of the 来源 (source) section, readable: a label for the id, a link, a size. */
export function SourceValue({ field, value }: { field: string; value: unknown }) {
  const { t } = useI18n();
  const text = typeof value === 'string' ? value : value == null ? '' : JSON.stringify(value);
  if (field === 'id') return <>{describeSourceId(t, text)}</>;
  if (field === 'url' && /^https?:\/\//i.test(text)) {
    return (
      <a href={text} target="_blank" rel="noopener noreferrer nofollow" className="break-all">
        {text}
      </a>
    );
  }
  const size = /^约\s*(\d+)\s*字$/.exec(text);
  if (field === 'size' && size) return <>{t('source.size', { n: size[1] })}</>;
  return <>{text}</>;
}
