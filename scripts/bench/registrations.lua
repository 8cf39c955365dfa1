-- wrk: a distinct, valid registration per request (its own RPPS with a Luhn key, its own given name, and its own
-- second factor, set up beforehand by scripts/bench/factors.py: the file named by the second argument).
local template = [[{"donnees":{"mode":"manuel","civilite":"22","nom":"Banc","prenom":"%s","jour_naissance":"29",
"mois_naissance":"2","email":"banc@exemple.fr","email_confirmation":"banc@exemple.fr","lieu_exercice":"Cabinet",
"profession":"50","rpps":"%s","code_postal":"33000","ville":"Bordeaux","telephone":"0564090090",
"liste_rouge":false,"publier_telephone":false,"cgu":true%s},
"secret":{"mot_de_passe":"Correct-Cheval-Batterie-42","mot_de_passe_confirmation":"Correct-Cheval-Batterie-42"}}]]
template = template:gsub("\n", "")

-- Each run passes its own number (wrk ... -- RUN), so that runs on one database never repeat a registration.
local run = 0
local factors = {}
function init(args)
  run = tonumber(args[1] or "0")
  if args[2] then for line in io.lines(args[2]) do factors[#factors + 1] = line end end
end

local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

local function luhn(prefix)
  for key = 0, 9 do
    local s, sum = prefix .. key, 0
    for i = #s, 1, -1 do
      local d = tonumber(s:sub(i, i))
      if (#s - i) % 2 == 1 then d = d * 2; if d > 9 then d = d - 9 end end
      sum = sum + d
    end
    if sum % 10 == 0 then return s end
  end
end

local function letters(n)
  local s = ""
  repeat s = string.char(97 + n % 26) .. s; n = math.floor(n / 26) until n == 0
  return s
end

-- The factors are shared out: thread k (of at most two) takes the k-th half of the run's own file, each once.
local counter = 0
function request()
  counter = counter + 1
  local n = run * 10000000 + id * 1000000 + counter
  -- (An empty file: a build from before second factors, whose drafts know no such field.)
  local factor = ""
  if #factors > 0 then
    local handle = factors[id * math.floor(#factors / 2) + counter] or "plus-de-facteur"
    factor = string.format(',"facteur":"%s","codes_conserves":true', handle)
  end
  local body = string.format(template, "Cecile" .. letters(n), luhn(string.format("2%09d", n % 1000000000)), factor)
  return wrk.format("POST", "/api/registrations", {["Content-Type"] = "application/json"}, body)
end
