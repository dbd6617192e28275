-- id: not_null_keys
-- title_zh: 关键字段非空
-- title_en: Key columns are not null
-- description: Every column the warehouse contract declares not nullable (skillhouse_model::schema) holds a value:
-- description: keys, the derived person attributes, the agency and region, the issue date and the lineage. Returns
-- description: the lineage of each offending certificate.
SELECT cert_no, source_file, source_row
FROM certificate_files
WHERE cert_no IS NULL OR cert_type IS NULL OR level_rank IS NULL OR person_key IS NULL OR birth_date IS NULL
   OR gender IS NULL OR hukou_region IS NULL OR agency_id IS NULL OR agency_type IS NULL OR region_code IS NULL
   OR issue_date IS NULL OR is_youth IS NULL OR source_file IS NULL OR source_row IS NULL OR batch_id IS NULL
   OR content_hash IS NULL
