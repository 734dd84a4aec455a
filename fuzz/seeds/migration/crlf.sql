-- irreversible: yes
-- +sluice up
DELETE FROM t;
