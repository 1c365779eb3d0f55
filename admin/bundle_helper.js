// The helper Piccolo Admin's patched bundle calls: admin/bundle.py puts it in front of the
// bundle (module scope, no globals), with our labels in place of the mark below:
// {tables: {name: title}, columns: {table: {column: title}}, timezone: "Europe/Moscow"}.
const __eb = (function (L) {
  const own = (o, k) => o != null && Object.prototype.hasOwnProperty.call(o, k);
  const parts = { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" };
  // A time with an offset is shown in the practice's time zone; one without (Piccolo's own
  // last login) as it is stored.
  const zoned = new Intl.DateTimeFormat("ru-RU", { ...parts, timeZone: L.timezone });
  const naive = new Intl.DateTimeFormat("ru-RU", { ...parts, timeZone: "UTC" });
  // ISO as the API returns it, and as the databases write it into a readable value
  // ("2026-12-04 11:36:40.838595+00" on PostgreSQL, "...+00:00" on SQLite).
  const STAMP = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?/g;
  const ONE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
  let messages = {};

  function t(key) {
    return own(messages, key) ? messages[key] : key;
  }

  // "2026-12-02T12:04:40.838595Z" -> "02.12.2026 15:04"; anything else unchanged.
  function when(text) {
    const m = ONE.exec(text);
    if (!m) return text;
    let zone = m[5];
    const aware = zone !== undefined;
    if (aware && zone !== "Z") {
      if (zone.length === 3) zone += ":00";
      else if (zone.length === 5) zone = zone.slice(0, 3) + ":" + zone.slice(3);
    }
    const millis = (m[4] || "0").padEnd(3, "0").slice(0, 3);
    const date = new Date(`${m[1]}T${m[2]}:${m[3] || "00"}.${millis}${aware ? zone : "Z"}`);
    if (isNaN(date.getTime())) return text;
    return (aware ? zoned : naive).format(date).replace(",", "");
  }

  function format(property) {
    if (!property) return undefined;
    if (property.format) return property.format;
    const first = (property.anyOf || []).find((x) => x && x.type !== "null");
    return first && first.format;
  }

  return {
    timezone: L.timezone,
    title: (name) => (own(L.tables, name) ? L.tables[name] : String(name).split("_").join(" ")),
    column: (table, name) =>
      own(L.columns, table) && own(L.columns[table], name) ? L.columns[table][name] : name,
    // Every timestamp inside a text (a foreign key's readable value).
    text: (value) => (typeof value === "string" ? value.replace(STAMP, when) : value),
    // A list cell, by its column's schema.
    cell(value, property) {
      if (typeof value !== "string") return value;
      const f = format(property);
      if (f === "date-time") return when(value);
      if (f === "date") {
        const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
        return d ? `${d[3]}.${d[2]}.${d[1]}` : value;
      }
      return value;
    },
    // Set per staff member by the table schema (admin/table_schemas.py).
    readOnly: (schema) => !!(schema && schema.extra && schema.extra.staff_read_only),
    t,
    // The translation loaded for the UI, for messages built outside templates.
    learn(found) {
      messages = found && typeof found === "object" ? found : {};
    },
    message: (m) => (m && typeof m.contents === "string" ? { ...m, contents: t(m.contents) } : m),
    // What a refused write says, one line per problem: "Название: обязательное поле".
    errors(e) {
      if (e && typeof e === "object") {
        if (Array.isArray(e.detail)) {
          return e.detail.map((item) => {
            const loc = item && Array.isArray(item.loc) ? item.loc : [];
            const field = loc.length > 1 ? loc[loc.length - 1] : null;
            return field !== null ? `${field}: ${item.msg}` : String(item && item.msg);
          });
        }
        if (typeof e.detail === "string") return [e.detail];
        if (e.custom_form_error) return [e.custom_form_error];
        if (e.db_error) return [`${t("Database error")}: ${e.db_error}`];
        return [JSON.stringify(e)];
      }
      return [String(e)];
    },
  };
})(__EB_LABELS__);
