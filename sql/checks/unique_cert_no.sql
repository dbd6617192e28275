-- id: unique_cert_no
-- title_zh: 证书编号唯一
-- title_en: Certificate numbers are unique
-- description: Every cert_no appears once among the snapshot's certificate files (DESIGN §5: unique across the
-- description: warehouse). Returns each repeated number with how many times it appears.
SELECT cert_no, COUNT(*) AS copies
FROM certificate_files
GROUP BY cert_no
HAVING COUNT(*) > 1
