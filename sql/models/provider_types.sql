-- id: provider_types
-- title_zh: 培训机构类型
-- title_en: Training provider types
-- grain: provider_type: enterprise, college, social, public, online (DESIGN §16)
-- source: DESIGN §16 (provider registry: 企业, 院校, 社会培训机构, 公共实训基地, 线上平台)
-- description: The five provider types of the training provider registry, with their Chinese and English names. The
-- description: training indicators give a row per provider type in their agency_type column (a zero where a type
-- description: trained nobody), as certs_by_agency_type does with agency_types. Kept with the definitions rather
-- description: than in datasets/reference so that a reference folder of a user's own needs no new file.
SELECT provider_type, name_zh, name_en
FROM (VALUES
    ('enterprise', '企业', 'Enterprise'),
    ('college', '院校', 'College'),
    ('social', '社会培训机构', 'Social training organisation'),
    ('public', '公共实训基地', 'Public training base'),
    ('online', '线上平台', 'Online platform')
) AS t(provider_type, name_zh, name_en)
