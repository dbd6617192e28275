-- id: training_references
-- title_zh: 培训记录维度引用完整
-- title_en: Training records' references resolve
-- description: Every training row's provider_id is a provider of the registry (providers), its region_code a region,
-- description: its provider_type a provider type and its occupation_code (when present) an occupation. Returns one row
-- description: per offending training row (its lineage), naming the first reference at fault.
SELECT
    t.source_file,
    t.source_row,
    CASE
        WHEN p.provider_id IS NULL THEN 'provider_id'
        WHEN r.region_code IS NULL THEN 'region_code'
        WHEN y.provider_type IS NULL THEN 'provider_type'
        ELSE 'occupation_code'
    END AS column_name,
    CASE
        WHEN p.provider_id IS NULL THEN t.provider_id
        WHEN r.region_code IS NULL THEN t.region_code
        WHEN y.provider_type IS NULL THEN t.provider_type
        ELSE t.occupation_code
    END AS value
FROM training AS t
LEFT JOIN providers AS p ON p.provider_id = t.provider_id
LEFT JOIN regions AS r ON r.region_code = t.region_code
LEFT JOIN provider_types AS y ON y.provider_type = t.provider_type
LEFT JOIN occupations AS o ON o.occupation_code = t.occupation_code
WHERE p.provider_id IS NULL
   OR r.region_code IS NULL
   OR y.provider_type IS NULL
   OR (t.occupation_code IS NOT NULL AND o.occupation_code IS NULL)
