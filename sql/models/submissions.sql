-- id: submissions
-- title_zh: 报送情况汇总
-- title_en: Submissions by agency (certificate files)
-- grain: agency_id
-- source: DESIGN §6 (the ledger), §10 (`/api/v1/submissions`)
-- description: Per agency, the files of the ledger the snapshot was built with by status, and the rows read,
-- description: accepted and rejected (by reason) of the files that count now (`loaded`): a superseded file's rows
-- description: were replaced by its correction. The reasons add up each loaded file's `rejects_by_reason`, the flat
-- description: JSON object `{"reason_code":count,…}` ingestion writes (docs/warehouse.md): codes are snake_case, so
-- description: splitting it on `,` and `:` is exact. No file name, no row, nothing about a person; the server
-- description: publishes it as it is, small counts withheld.
WITH entries AS (
    SELECT COALESCE(agency_id, '') AS agency, status, rows_read, rows_accepted, rows_rejected, rejects_by_reason
    FROM ledger
    -- Evaluation agencies' certificate files; training providers' files (DESIGN §16) are another input whose ids
    -- may equal an agency's. A ledger written before the `input` column held certificates only.
    WHERE COALESCE(input, 'certificates') = 'certificates'
),
files AS (
    SELECT
        agency,
        COUNT(*) AS files,
        SUM(CASE WHEN status = 'loaded' THEN 1 ELSE 0 END) AS files_loaded,
        SUM(CASE WHEN status = 'superseded' THEN 1 ELSE 0 END) AS files_superseded,
        SUM(CASE WHEN status IN ('loaded', 'superseded') THEN 0 ELSE 1 END) AS files_unreadable,
        SUM(CASE WHEN status = 'loaded' THEN COALESCE(rows_read, 0) ELSE 0 END) AS rows_read,
        SUM(CASE WHEN status = 'loaded' THEN COALESCE(rows_accepted, 0) ELSE 0 END) AS rows_accepted,
        SUM(CASE WHEN status = 'loaded' THEN COALESCE(rows_rejected, 0) ELSE 0 END) AS rows_rejected
    FROM entries
    GROUP BY agency
),
pairs AS (
    SELECT agency, unnest(string_to_array(btrim(rejects_by_reason, '{}'), ',')) AS pair
    FROM entries
    WHERE status = 'loaded' AND rejects_by_reason IS NOT NULL AND btrim(rejects_by_reason, '{} ') <> ''
),
by_reason AS (
    SELECT agency, btrim(split_part(pair, ':', 1), '" ') AS reason, CAST(btrim(split_part(pair, ':', 2)) AS BIGINT) AS n
    FROM pairs
),
reasons AS (
    SELECT agency, '{' || string_agg('"' || reason || '":' || CAST(n AS VARCHAR), ',' ORDER BY reason) || '}' AS rejected_by_reason
    FROM (SELECT agency, reason, SUM(n) AS n FROM by_reason GROUP BY agency, reason) AS totals
    GROUP BY agency
)
SELECT
    f.agency AS agency_id,
    CAST(f.files AS BIGINT) AS files,
    CAST(f.files_loaded AS BIGINT) AS files_loaded,
    CAST(f.files_superseded AS BIGINT) AS files_superseded,
    CAST(f.files_unreadable AS BIGINT) AS files_unreadable,
    CAST(f.rows_read AS BIGINT) AS rows_read,
    CAST(f.rows_accepted AS BIGINT) AS rows_accepted,
    CAST(f.rows_rejected AS BIGINT) AS rows_rejected,
    COALESCE(r.rejected_by_reason, '{}') AS rejected_by_reason
FROM files AS f
LEFT JOIN reasons AS r ON r.agency = f.agency
ORDER BY f.agency
