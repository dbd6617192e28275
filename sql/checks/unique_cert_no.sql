-- id: unique_cert_no
-- title_zh: 证书编号唯一
-- title_en: Certificate numbers are unique
-- description: Every cert_no appears once among the snapshot's certificate files (DESIGN §5: unique across the
-- description: warehouse). Returns each repeated number with how many times it appears. The numbers' 64-bit prints
-- description: are grouped first (8 bytes a row, not the text); only the rows whose print repeats are then grouped
-- description: by their real number (the repeated prints, few, are the join's build side), so a collision of prints
-- description: is never reported as a repeated number. A missing number prints as 0 and is grouped like the others.
WITH repeated_prints AS (
    SELECT COALESCE(fingerprint64(cert_no), 0) AS print
    FROM certificate_files
    GROUP BY COALESCE(fingerprint64(cert_no), 0)
    HAVING COUNT(*) > 1
)
SELECT c.cert_no, COUNT(*) AS copies
FROM repeated_prints AS r
JOIN certificate_files AS c ON COALESCE(fingerprint64(c.cert_no), 0) = r.print
GROUP BY c.cert_no
HAVING COUNT(*) > 1
