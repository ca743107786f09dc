// Words that, sent alone, mean "stop messaging me" (carriers' and WhatsApp's usual keywords, and
// their Spanish and Portuguese equivalents, the markets our tenants call most).
const STOP_WORDS = new Set(["STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT OUT", "OPT-OUT", "BAJA", "PARAR", "CANCELAR", "SAIR"]);

export function isStopRequest(text: string): boolean {
  const normalized = text
    .trim()
    .replace(/[.!¡]+$/u, "")
    .replace(/\s+/g, " ")
    .toUpperCase();
  return STOP_WORDS.has(normalized);
}
