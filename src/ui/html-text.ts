/**
 * Strings as HTML text (pure): escaping for element content and double-quoted attribute values,
 * and whether a string survives the HTML parser exactly. It cannot carry every string: the parser
 * drops or replaces U+0000, and a lone surrogate has no UTF-8 form (both become U+FFFD), while DOM
 * calls keep them.
 */

const UNCARRIED = /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Escapes text for an element's content or a double-quoted attribute value. CR is a character
 * reference: as a byte the parser would turn CR LF into LF (`&#13;` stays CR, as the DOM has it).
 */
export function escapeHtml(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    let rep: string;
    switch (text.charCodeAt(i)) {
      case 38: rep = '&amp;'; break;
      case 60: rep = '&lt;'; break;
      case 62: rep = '&gt;'; break;
      case 34: rep = '&quot;'; break;
      case 39: rep = '&#39;'; break;
      case 13: rep = '&#13;'; break;
      default: continue;
    }
    out += text.slice(from, i) + rep;
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** True when `text` comes out of the HTML parser exactly as it went in (once escaped). */
export function carriedByHtml(text: string): boolean {
  return !UNCARRIED.test(text);
}
