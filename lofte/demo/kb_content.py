"""The help centre of the demo company Demo Energi & Försäkring: categories, sections and articles in five languages."""

from __future__ import annotations

CATEGORIES: list[dict] = [
    {
        "slug": "billing",
        "names": {
            "en": "Invoices and payments",
            "sv": "Fakturor och betalning",
            "da": "Regninger og betaling",
            "nb": "Faktura og betaling",
            "fi": "Laskut ja maksaminen",
        },
        "descriptions": {
            "en": "Due dates, payment methods and what is on your invoice.",
            "sv": "Förfallodagar, betalsätt och vad som står på din faktura.",
            "da": "Forfaldsdatoer, betalingsmåder og hvad der står på din regning.",
            "nb": "Forfallsdatoer, betalingsmåter og hva som står på fakturaen din.",
            "fi": "Eräpäivät, maksutavat ja mitä laskullasi lukee.",
        },
        "requires_review": False,
        "sections": [
            {
                "slug": "invoices",
                "names": {"en": "Invoices", "sv": "Fakturor", "da": "Regninger", "nb": "Fakturaer", "fi": "Laskut"},
            },
            {
                "slug": "payment-methods",
                "names": {
                    "en": "Payment methods",
                    "sv": "Betalsätt",
                    "da": "Betalingsmåder",
                    "nb": "Betalingsmåter",
                    "fi": "Maksutavat",
                },
            },
        ],
    },
    {
        "slug": "service",
        "names": {
            "en": "Electricity and broadband",
            "sv": "El och bredband",
            "da": "El og bredbånd",
            "nb": "Strøm og bredbånd",
            "fi": "Sähkö ja laajakaista",
        },
        "descriptions": {
            "en": "Power cuts, meter readings, broadband problems, logging in and moving house.",
            "sv": "Strömavbrott, mätarställningar, bredbandsproblem, inloggning och flytt.",
            "da": "Strømafbrud, måleraflæsning, problemer med bredbånd, login og flytning.",
            "nb": "Strømbrudd, måleravlesning, problemer med bredbånd, innlogging og flytting.",
            "fi": "Sähkökatkot, mittarilukemat, laajakaistan ongelmat, kirjautuminen ja muutto.",
        },
        "requires_review": False,
        "sections": [
            {
                "slug": "electricity",
                "names": {"en": "Electricity", "sv": "El", "da": "El", "nb": "Strøm", "fi": "Sähkö"},
            },
            {
                "slug": "broadband",
                "names": {
                    "en": "Broadband",
                    "sv": "Bredband",
                    "da": "Bredbånd",
                    "nb": "Bredbånd",
                    "fi": "Laajakaista",
                },
            },
            {
                "slug": "my-account",
                "names": {
                    "en": "Your account and moving",
                    "sv": "Ditt konto och flytt",
                    "da": "Din konto og flytning",
                    "nb": "Kontoen din og flytting",
                    "fi": "Käyttäjätili ja muutto",
                },
            },
        ],
    },
    {
        "slug": "insurance",
        "names": {
            "en": "Insurance",
            "sv": "Försäkringar",
            "da": "Forsikringer",
            "nb": "Forsikringer",
            "fi": "Vakuutukset",
        },
        "descriptions": {
            "en": "Home, travel and car insurance: what is covered and how to make a claim.",
            "sv": "Hem-, rese- och bilförsäkring: vad som ingår och hur du anmäler en skada.",
            "da": "Indbo-, rejse- og bilforsikring: hvad der er dækket, og hvordan du anmelder en skade.",
            "nb": "Innbo-, reise- og bilforsikring: hva som dekkes, og hvordan du melder en skade.",
            "fi": "Koti-, matka- ja autovakuutus: mitä vakuutus kattaa ja miten ilmoitat vahingosta.",
        },
        "requires_review": False,
        "sections": [
            {
                "slug": "home",
                "names": {
                    "en": "Home insurance",
                    "sv": "Hemförsäkring",
                    "da": "Indboforsikring",
                    "nb": "Innboforsikring",
                    "fi": "Kotivakuutus",
                },
            },
            {
                "slug": "travel",
                "names": {
                    "en": "Travel insurance",
                    "sv": "Reseförsäkring",
                    "da": "Rejseforsikring",
                    "nb": "Reiseforsikring",
                    "fi": "Matkavakuutus",
                },
            },
            {
                "slug": "claims",
                "names": {
                    "en": "Claims and deductibles",
                    "sv": "Skador och självrisk",
                    "da": "Skader og selvrisiko",
                    "nb": "Skader og egenandel",
                    "fi": "Vahingot ja omavastuu",
                },
            },
        ],
    },
    {
        "slug": "terms",
        "names": {
            "en": "Terms and agreements",
            "sv": "Villkor och avtal",
            "da": "Vilkår og aftaler",
            "nb": "Vilkår og avtaler",
            "fi": "Ehdot ja sopimukset",
        },
        "descriptions": {
            "en": "Notice periods, price changes, complaints and your rights as a customer.",
            "sv": "Uppsägningstider, prisändringar, klagomål och dina rättigheter som kund.",
            "da": "Opsigelsesvarsler, prisændringer, klager og dine rettigheder som kunde.",
            "nb": "Oppsigelsestid, prisendringer, klager og rettighetene dine som kunde.",
            "fi": "Irtisanomisajat, hinnanmuutokset, reklamaatiot ja oikeutesi asiakkaana.",
        },
        "requires_review": True,
        "sections": [
            {
                "slug": "contracts",
                "names": {
                    "en": "Contracts and cancellation",
                    "sv": "Avtal och uppsägning",
                    "da": "Aftaler og opsigelse",
                    "nb": "Avtaler og oppsigelse",
                    "fi": "Sopimukset ja irtisanominen",
                },
            },
            {
                "slug": "complaints",
                "names": {
                    "en": "Complaints",
                    "sv": "Klagomål",
                    "da": "Klager",
                    "nb": "Klager",
                    "fi": "Reklamaatiot",
                },
            },
        ],
    },
]

ARTICLES: list[dict] = [
    # 0
    {
        "category": "billing",
        "section": "invoices",
        "visibility": "public",
        "fallback_language": "sv",
        "related": [1],
        "translations": {
            "sv": {
                "title": "Hur byter jag betalningsdag?",
                "body": """### När ska fakturan vara betald?
Vi skickar fakturan ungefär 14 dagar före förfallodagen. Som standard förfaller den den **sista vardagen i
månaden**, men du kan välja en annan betalningsdag som passar bättre med när du får lön.

### Så byter du betalningsdag
1. Logga in på Mina sidor.
2. Gå till **Fakturor** och välj **Betalningsdag**.
3. Välj den 5:e, 15:e eller 25:e i månaden eller sista vardagen, och spara.

Ändringen gäller från nästa faktura om du gör den minst 10 dagar före fakturadatum, annars från fakturan
därefter. Du kan byta betalningsdag en gång per kvartal.

### Om förfallodagen är en helgdag
Infaller förfallodagen på en lördag, söndag eller helgdag räcker det att du betalar nästa vardag.""",
            },
            "en": {
                "title": "How do I change my payment day?",
                "body": """### When is my invoice due?
We send your invoice about 14 days before the due date. By default it falls due on the **last working day of
the month**, but you can pick another payment day that fits better with when you get paid.

### How to change your payment day
1. Log in to My pages.
2. Go to **Invoices** and choose **Payment day**.
3. Pick the 5th, 15th or 25th of the month or the last working day, and save.

The change applies from your next invoice if you make it at least 10 days before the invoice date; otherwise
it applies from the one after. You can change your payment day once per quarter.

### If the due date is a public holiday
If the due date falls on a Saturday, Sunday or public holiday, paying on the next working day is fine.""",
            },
            "fi": {
                "title": "Miten vaihdan laskun eräpäivän?",
                "body": """### Milloin lasku pitää maksaa?
Lähetämme laskun noin 14 päivää ennen eräpäivää. Oletuksena lasku erääntyy **kuukauden viimeisenä
arkipäivänä**, mutta voit valita eräpäivän, joka sopii paremmin palkkapäivääsi.

### Näin vaihdat eräpäivän
1. Kirjaudu Omille sivuille.
2. Valitse **Laskut** ja sitten **Eräpäivä**.
3. Valitse kuukauden 5., 15. tai 25. päivä tai viimeinen arkipäivä ja tallenna.

Muutos koskee jo seuraavaa laskua, jos teet sen vähintään 10 päivää ennen laskun päiväystä. Muuten se tulee
voimaan sitä seuraavasta laskusta. Eräpäivän voi vaihtaa kerran vuosineljänneksessä.

### Jos eräpäivä osuu pyhäpäivälle
Jos eräpäivä on lauantai, sunnuntai tai pyhäpäivä, riittää että maksat laskun seuraavana arkipäivänä.""",
            },
            "da": {
                "title": "Hvordan ændrer jeg min betalingsdato?",
                "body": """### Hvornår skal regningen være betalt?
Vi sender regningen cirka 14 dage før forfaldsdatoen. Som standard forfalder den **den sidste hverdag i
måneden**, men du kan vælge en anden betalingsdato, der passer bedre med din lønudbetaling.

### Sådan ændrer du betalingsdatoen
1. Log ind på Mine sider.
2. Gå til **Regninger**, og vælg **Betalingsdato**.
3. Vælg den 5., 15. eller 25. i måneden eller den sidste hverdag, og gem.

Ændringen gælder fra næste regning, hvis du laver den mindst 10 dage før regningsdatoen. Ellers gælder den
fra regningen efter. Du kan ændre betalingsdato én gang i kvartalet.

### Hvis forfaldsdatoen er en helligdag
Falder forfaldsdatoen på en lørdag, søndag eller helligdag, er det nok, at du betaler den følgende hverdag.""",
            },
            "nb": {
                "title": "Hvordan endrer jeg forfallsdatoen?",
                "body": """### Når må fakturaen være betalt?
Vi sender fakturaen omtrent 14 dager før forfall. Som standard forfaller den **siste virkedag i måneden**,
men du kan velge en annen forfallsdato som passer bedre med når du får lønn.

### Slik endrer du forfallsdato
1. Logg inn på Min side.
2. Gå til **Fakturaer** og velg **Forfallsdato**.
3. Velg den 5., 15. eller 25. i måneden eller siste virkedag, og lagre.

Endringen gjelder fra neste faktura hvis du gjør den minst 10 dager før fakturadato. Ellers gjelder den fra
fakturaen etter. Du kan endre forfallsdato én gang per kvartal.

### Hvis forfallsdatoen er en helligdag
Faller forfallsdatoen på en lørdag, søndag eller helligdag, holder det at du betaler neste virkedag.""",
            },
        },
    },
    # 1
    {
        "category": "billing",
        "section": "payment-methods",
        "visibility": "public",
        "fallback_language": "sv",
        "related": [0],
        "translations": {
            "sv": {
                "title": "Hur får jag e-faktura eller autogiro?",
                "body": """### E-faktura i internetbanken
Med e-faktura kommer fakturan direkt till din internetbank, och du godkänner varje betalning själv.

1. Logga in i din internetbank.
2. Sök efter **Demo Energi & Försäkring** bland e-fakturamottagare.
3. Ange ditt kundnummer och bekräfta.

### Autogiro
Med autogiro dras beloppet automatiskt från ditt konto på förfallodagen.

1. Logga in på Mina sidor och välj **Betalsätt**.
2. Välj **Autogiro**, ange clearing- och kontonummer och signera med BankID.

Det tar upp till **två veckor** innan autogirot är aktivt. Kommer nästa faktura innan du fått en bekräftelse
betalar du den som vanligt. Se till att pengarna finns på kontot senast dagen före förfallodagen. Går
dragningen inte igenom gör vi ett nytt försök efter tre bankdagar.

### Vad kostar det?
E-faktura och autogiro är avgiftsfria. Pappersfaktura kostar 29 kr per faktura.""",
            },
        },
    },
    # 2
    {
        "category": "billing",
        "section": "invoices",
        "visibility": "public",
        "fallback_language": "en",
        "related": [0],
        "translations": {
            "nb": {
                "title": "Hva er nettleie, og hvorfor står den på fakturaen min?",
                "body": """### Hva er nettleie?
Nettleie er det du betaler nettselskapet for å få strømmen fraktet fram til boligen din. Den kommer i tillegg
til strømprisen du betaler oss, og det er nettselskapet i ditt område som bestemmer hvor høy den er.

### Slik er nettleien bygd opp
- **Energiledd:** en pris per kWh du bruker, ofte lavere om natten og i helgene.
- **Kapasitetsledd:** et fast beløp per måned, basert på snittet av de tre timene med høyest forbruk i
  måneden, fra tre ulike dager.
- **Avgifter:** elavgift og Enova-avgift, som går til staten.

### Hvorfor får jeg den fra dere?
Vi samfakturerer nettleien for de fleste nettselskapene, slik at du får én faktura i stedet for to. Beløpet
sender vi uendret videre til nettselskapet, og vi tjener ingenting på det.

**Tips:** Spre bruken av varmtvannsbereder, elbillader og vaskemaskin utover døgnet, så holder du
kapasitetsleddet nede. Lad gjerne elbilen mellom kl. 22 og 06.""",
            },
        },
    },
    # 3
    {
        "category": "service",
        "section": "my-account",
        "visibility": "public",
        "fallback_language": "sv",
        "related": [4, 12],
        "translations": {
            "sv": {
                "title": "Jag ska flytta. Hur tar jag med mig el, bredband och försäkring?",
                "body": """### Anmäl flytten minst en månad i förväg
Anmäl flytten på Mina sidor under **Flytt** senast 30 dagar före flyttdagen, så hinner vi ordna allt på din
nya adress.

1. Ange flyttdatum och din nya adress.
2. Välj vilka avtal som ska följa med: el, bredband och hemförsäkring.
3. Lämna mätarställningen i den gamla bostaden på flyttdagen.

### Det här händer sedan
- **El:** avtalet flyttar med samma pris och villkor. Du får en bekräftelse inom 2 arbetsdagar.
- **Bredband:** vi kontrollerar att vi kan leverera på den nya adressen. Flytten tar normalt 10 arbetsdagar.
- **Hemförsäkring:** försäkringen gäller i båda bostäderna i upp till 30 dagar medan du flyttar.

### Ändra adress
Din adress uppdateras automatiskt när du har gjort en flyttanmälan till folkbokföringen. Vill du att
fakturorna ska gå till en annan adress ändrar du **Faktureringsadress** under **Mina uppgifter**.""",
            },
            "en": {
                "title": "I'm moving. How do I take my electricity, broadband and insurance with me?",
                "body": """### Tell us at least a month ahead
Register your move on My pages under **Moving** no later than 30 days before moving day, so we have time to
set everything up at your new address.

1. Enter your moving date and new address.
2. Choose which contracts to bring with you: electricity, broadband and home insurance.
3. Submit the meter reading at your old home on moving day.

### What happens next
- **Electricity:** your contract moves with the same price and terms. You get a confirmation within 2
  working days.
- **Broadband:** we check that we can deliver at your new address. Moving it normally takes 10 working days.
- **Home insurance:** you are covered at both homes for up to 30 days while you move.

### Changing your address
Your address is updated automatically once you have registered your move with the population register. If
you want your invoices sent somewhere else, change your **Billing address** under **My details**.""",
            },
            "fi": {
                "title": "Muutan. Miten saan sähkön, laajakaistan ja vakuutuksen mukaani?",
                "body": """### Ilmoita muutosta vähintään kuukautta etukäteen
Ilmoita muutosta Omilla sivuilla kohdassa **Muutto** viimeistään 30 päivää ennen muuttopäivää, niin ehdimme
järjestää kaiken valmiiksi uuteen osoitteeseesi.

1. Anna muuttopäivä ja uusi osoitteesi.
2. Valitse, mitkä sopimukset siirtyvät mukanasi: sähkö, laajakaista ja kotivakuutus.
3. Ilmoita vanhan asuntosi mittarilukema muuttopäivänä.

### Mitä sen jälkeen tapahtuu
- **Sähkö:** sopimus siirtyy samalla hinnalla ja samoin ehdoin. Saat vahvistuksen 2 arkipäivän kuluessa.
- **Laajakaista:** tarkistamme, että voimme toimittaa liittymän uuteen osoitteeseen. Siirto kestää yleensä
  10 arkipäivää.
- **Kotivakuutus:** vakuutus on voimassa molemmissa asunnoissa enintään 30 päivää muuton aikana.

### Osoitteen muuttaminen
Osoitteesi päivittyy automaattisesti, kun olet tehnyt virallisen muuttoilmoituksen. Jos haluat laskut
toiseen osoitteeseen, vaihda **Laskutusosoite** kohdassa **Omat tiedot**.""",
            },
        },
    },
    # 4
    {
        "category": "service",
        "section": "my-account",
        "visibility": "public",
        "fallback_language": "sv",
        "related": [3],
        "translations": {
            "sv": {
                "title": "Hur loggar jag in med BankID?",
                "body": """### Logga in med Mobilt BankID
1. Gå till Mina sidor och välj **Logga in med BankID**.
2. Välj **BankID på den här enheten**, eller **BankID på annan enhet** och skanna QR-koden med BankID-appen.
3. Legitimera dig i appen med din säkerhetskod eller ansiktsigenkänning.

Du loggas ut automatiskt efter 15 minuter utan aktivitet.

### Om inloggningen inte fungerar
- **"BankID-appen hittades inte":** kontrollera att appen är uppdaterad till senaste versionen.
- **QR-koden har gått ut:** den slutar fungera efter 30 sekunder. Ladda om sidan och skanna igen.
- **Ditt BankID har gått ut:** förnya det hos din bank. Vi kan tyvärr inte hjälpa till med själva BankID:t.

### Har du inget BankID?
Du kan logga in med en engångskod som vi skickar med sms till det mobilnummer vi har registrerat. Koden
gäller i 10 minuter.

**Tänk på:** Vi ber dig aldrig att logga in med BankID när vi ringer dig. Lägg på om någon gör det.""",
            },
            "en": {
                "title": "How do I log in with BankID?",
                "body": """### Log in with Mobile BankID
1. Go to My pages and choose **Log in with BankID**.
2. Choose **BankID on this device**, or **BankID on another device** and scan the QR code with the BankID app.
3. Identify yourself in the app with your security code or face recognition.

You are logged out automatically after 15 minutes of inactivity.

### If you can't log in
- **"The BankID app was not found":** make sure the app is updated to the latest version.
- **The QR code has expired:** it stops working after 30 seconds. Reload the page and scan again.
- **Your BankID has expired:** renew it with your bank. Unfortunately we can't help with the BankID itself.

### No BankID?
You can log in with a one-time code that we text to the mobile number we have on file. The code is valid for
10 minutes.

**Please note:** We will never ask you to log in with BankID while we are on the phone with you. If anyone
does, hang up.""",
            },
        },
    },
    # 5
    {
        "category": "service",
        "section": "electricity",
        "visibility": "public",
        "fallback_language": "en",
        "related": [6],
        "translations": {
            "sv": {
                "title": "Strömmen har gått. Vad ska jag göra?",
                "body": """### Kontrollera först hemma
1. Titta i elcentralen: har en säkring gått eller har jordfelsbrytaren löst ut? Återställ den i så fall.
2. Har grannarna ström? Är det bara du som saknar ström ligger felet troligen i din egen anläggning.
   Kontakta då en elinstallatör.

### Om hela området är strömlöst
Se vår driftstörningskarta på [example.com/driftinfo](https://example.com/driftinfo). Den uppdateras var
15:e minut och visar när strömmen beräknas vara tillbaka. Det är elnätsbolaget som lagar felet, så du
behöver inte ringa oss för att anmäla det.

### Ersättning vid långa avbrott
Varar avbrottet **minst 12 timmar** i sträck har du rätt till avbrottsersättning från elnätsbolaget. Den
betalas ut automatiskt, du behöver inte ansöka.

### Under avbrottet
- Håll kyl och frys stängda. Maten i frysen håller sig i ungefär 24 timmar.
- Dra ur sladden till känslig elektronik så att den inte skadas när strömmen kommer tillbaka.""",
            },
            "en": {
                "title": "The power has gone out. What should I do?",
                "body": """### Check your home first
1. Look in your fuse box: has a fuse blown or has the residual current device tripped? If so, reset it.
2. Do your neighbours have power? If you are the only one without power, the fault is probably in your own
   wiring. Contact an electrician.

### If the whole area is without power
Check our outage map at [example.com/driftinfo](https://example.com/driftinfo). It is updated every 15
minutes and shows when power is expected to be back. The grid company repairs the fault, so you don't need
to call us to report it.

### Compensation for long outages
If the outage lasts **at least 12 hours** in a row, you are entitled to compensation from the grid company.
It is paid automatically; you don't need to apply.

### During the outage
- Keep the fridge and freezer closed. Food in the freezer keeps for about 24 hours.
- Unplug sensitive electronics so they aren't damaged when the power comes back.""",
            },
            "fi": {
                "title": "Sähköt katkesivat. Mitä minun pitää tehdä?",
                "body": """### Tarkista ensin oma asuntosi
1. Katso sähkökeskuksesta, onko sulake palanut tai vikavirtasuoja lauennut. Jos on, palauta se.
2. Onko naapureilla sähköt? Jos sähköt puuttuvat vain sinulta, vika on todennäköisesti omassa
   sähköverkossasi. Ota silloin yhteys sähköasentajaan.

### Jos koko alueella on sähkökatko
Katso häiriökarttamme osoitteessa [example.com/driftinfo](https://example.com/driftinfo). Kartta päivittyy 15
minuutin välein ja näyttää, milloin sähköjen arvioidaan palaavan. Verkkoyhtiö korjaa vian, joten sinun ei
tarvitse soittaa meille ilmoittaaksesi siitä.

### Korvaus pitkistä katkoista
Jos katko kestää yhtäjaksoisesti **vähintään 12 tuntia**, sinulla on oikeus korvaukseen verkkoyhtiöltä.
Korvaus maksetaan automaattisesti, eikä sitä tarvitse hakea.

### Katkon aikana
- Pidä jääkaappi ja pakastin kiinni. Pakastimen ruoat säilyvät noin 24 tuntia.
- Irrota herkät laitteet pistorasiasta, jotta ne eivät vaurioidu, kun sähköt palaavat.""",
            },
        },
    },
    # 6
    {
        "category": "service",
        "section": "electricity",
        "visibility": "public",
        "fallback_language": "en",
        "related": [5],
        "translations": {
            "da": {
                "title": "Hvordan aflæser jeg min elmåler?",
                "body": """### Bliver din måler aflæst automatisk?
Langt de fleste elmålere i Danmark er fjernaflæste, og så skal du ikke gøre noget. Vi beder kun om en
aflæsning, hvis måleren ikke har sendt data, eller når du flytter.

### Sådan aflæser du måleren
1. Find måleren. Den sidder typisk i eltavlen, i kælderen eller i et skab ved hoveddøren.
2. Skriv tallet i kWh ned **uden decimaler**. Har måleren to tællere (dag og nat), skal du skrive begge ned.
3. Tag gerne et billede af displayet, så du har dokumentation.

### Sådan indberetter du aflæsningen
Log ind på Mine sider, vælg **Måleraflæsning**, og indtast tallet senest **8 dage** efter den dato, der står
i vores brev. Hvis du ikke indberetter, anslår vi dit forbrug ud fra sidste år, og det bliver reguleret på
næste årsopgørelse.

Ser tallet forkert ud, eller er displayet tomt, så ring til os på hverdage kl. 8-18.""",
            },
        },
    },
    # 7
    {
        "category": "service",
        "section": "broadband",
        "visibility": "public",
        "fallback_language": "en",
        "related": [],
        "translations": {
            "sv": {
                "title": "Varför är mitt bredband så långsamt?",
                "body": """### Starta om routern
Det löser de flesta problem.
1. Dra ur routerns strömsladd.
2. Vänta i **30 sekunder**.
3. Sätt i sladden igen och vänta 3-5 minuter tills lampan lyser fast grönt.

### Mät hastigheten på rätt sätt
Anslut datorn till routern med nätverkskabel och kör vårt hastighetstest under **Mina sidor > Bredband**.
Wi-fi ger nästan alltid lägre hastighet än kabel, särskilt genom väggar och mellan våningar.

### Få bättre wi-fi
- Placera routern högt och centralt, inte i ett skåp eller bakom tv:n.
- Använd 5 GHz-nätet när du är nära routern och 2,4 GHz längre bort.
- Bor du stort kan du beställa en extra wi-fi-punkt på Mina sidor.

### Fortfarande långsamt?
Ligger hastigheten via kabel under 70 % av det du betalar för vid tre mätningar i rad, kontakta oss. Vi
felsöker linjen och återkommer inom 1 arbetsdag.""",
            },
            "en": {
                "title": "Why is my broadband so slow?",
                "body": """### Restart your router
This fixes most problems.
1. Unplug the router's power cable.
2. Wait **30 seconds**.
3. Plug it back in and wait 3-5 minutes until the light is steady green.

### Measure the speed properly
Connect your computer to the router with a network cable and run our speed test under **My pages >
Broadband**. Wi-Fi is almost always slower than a cable, especially through walls and between floors.

### Get better Wi-Fi
- Place the router high up and centrally, not in a cupboard or behind the TV.
- Use the 5 GHz network when you're close to the router and 2.4 GHz further away.
- If you have a large home, you can order an extra Wi-Fi point on My pages.

### Still slow?
If the speed over a cable is below 70% of what you pay for in three tests in a row, contact us. We'll
troubleshoot your line and get back to you within 1 working day.""",
            },
            "da": {
                "title": "Hvorfor er mit bredbånd så langsomt?",
                "body": """### Genstart routeren
Det løser de fleste problemer.
1. Tag routerens strømkabel ud.
2. Vent **30 sekunder**.
3. Sæt kablet i igen, og vent 3-5 minutter, til lampen lyser konstant grønt.

### Mål hastigheden rigtigt
Forbind computeren til routeren med et netværkskabel, og kør vores hastighedstest under **Mine sider >
Bredbånd**. Wi-fi er næsten altid langsommere end kabel, især gennem vægge og mellem etager.

### Få bedre wi-fi
- Placér routeren højt og centralt, ikke i et skab eller bag fjernsynet.
- Brug 5 GHz-nettet, når du er tæt på routeren, og 2,4 GHz længere væk.
- Bor du stort, kan du bestille et ekstra wi-fi-punkt på Mine sider.

### Stadig langsomt?
Er hastigheden via kabel under 70 % af det, du betaler for, ved tre målinger i træk, så kontakt os. Vi
fejlsøger din linje og vender tilbage inden for 1 arbejdsdag.""",
            },
            "nb": {
                "title": "Hvorfor er bredbåndet mitt så tregt?",
                "body": """### Start ruteren på nytt
Det løser de fleste problemer.
1. Trekk ut strømledningen til ruteren.
2. Vent i **30 sekunder**.
3. Sett i ledningen igjen og vent 3-5 minutter til lampen lyser fast grønt.

### Mål hastigheten riktig
Koble PC-en til ruteren med nettverkskabel og kjør hastighetstesten vår under **Min side > Bredbånd**.
Wi-fi gir nesten alltid lavere hastighet enn kabel, særlig gjennom vegger og mellom etasjer.

### Få bedre wi-fi
- Plasser ruteren høyt og sentralt, ikke i et skap eller bak TV-en.
- Bruk 5 GHz-nettet når du er nær ruteren, og 2,4 GHz lenger unna.
- Bor du stort, kan du bestille et ekstra wi-fi-punkt på Min side.

### Fortsatt tregt?
Er hastigheten via kabel under 70 % av det du betaler for, tre målinger på rad, tar du kontakt med oss. Vi
feilsøker linjen og svarer deg innen 1 virkedag.""",
            },
        },
    },
    # 8
    {
        "category": "insurance",
        "section": "home",
        "visibility": "public",
        "fallback_language": "sv",
        "related": [9],
        "translations": {
            "sv": {
                "title": "Hur anmäler jag en vattenskada?",
                "body": """### Gör det här direkt
1. Stäng av vattnet med huvudkranen, oftast under diskbänken eller vid vattenmätaren.
2. Torka upp vattnet och flytta undan möbler och mattor.
3. Bor du i lägenhet: kontakta hyresvärden eller bostadsrättsföreningen.
4. Fotografera skadan och det som läckt innan något lagas eller slängs.

### Anmäl skadan
Anmäl vattenskadan på Mina sidor under **Skador > Ny skada**, eller ring vår skadejour som har öppet
**dygnet runt**. Anmäl så snart som möjligt, och senast inom sex månader.

### Vad händer sedan?
- Inom **24 timmar** kontaktar en skadereglerare dig.
- Vid behov skickar vi en saneringsfirma som mäter fukten och torkar ut.
- Spara kvitton på allt du behöver köpa på grund av skadan.

Självrisken står i ditt försäkringsbrev. Vid läckage i vägg eller bjälklag kan en högre självrisk gälla.""",
            },
            "en": {
                "title": "How do I report water damage?",
                "body": """### Do this straight away
1. Turn off the water at the main stopcock, usually under the kitchen sink or by the water meter.
2. Mop up the water and move furniture and rugs out of the way.
3. If you live in a flat, contact your landlord or housing association.
4. Take photos of the damage and of what leaked before anything is repaired or thrown away.

### Report the damage
Report the water damage on My pages under **Claims > New claim**, or call our claims helpline, which is open
**24 hours a day**. Report it as soon as you can, and within six months at the latest.

### What happens next?
- A claims handler contacts you within **24 hours**.
- If needed, we send a restoration company to measure the moisture and dry things out.
- Keep receipts for everything you have to buy because of the damage.

Your deductible is shown in your policy document. A higher deductible may apply to leaks inside walls or
floors.""",
            },
            "fi": {
                "title": "Miten ilmoitan vesivahingosta?",
                "body": """### Toimi heti näin
1. Sulje vesi pääsulusta. Se on yleensä tiskialtaan alla tai vesimittarin vieressä.
2. Kuivaa vesi ja siirrä huonekalut ja matot pois tieltä.
3. Jos asut kerrostalossa, ota yhteys isännöitsijään tai huoltoyhtiöön.
4. Valokuvaa vahinko ja vuotokohta ennen kuin mitään korjataan tai heitetään pois.

### Ilmoita vahingosta
Tee vahinkoilmoitus Omilla sivuilla kohdassa **Vahingot > Uusi vahinko** tai soita vahinkopäivystykseemme,
joka palvelee **ympäri vuorokauden**. Ilmoita mahdollisimman pian, viimeistään kuuden kuukauden kuluessa.

### Mitä sen jälkeen tapahtuu?
- Vahinkokäsittelijä ottaa sinuun yhteyttä **24 tunnin** kuluessa.
- Tarvittaessa lähetämme kuivausyrityksen mittaamaan kosteuden ja kuivaamaan rakenteet.
- Säilytä kuitit kaikesta, mitä joudut hankkimaan vahingon takia.

Omavastuusi näkyy vakuutuskirjassa. Seinän tai lattian sisällä tapahtuneissa vuodoissa omavastuu voi olla
suurempi.""",
            },
            "da": {
                "title": "Hvordan anmelder jeg en vandskade?",
                "body": """### Gør det her med det samme
1. Luk for vandet ved hovedhanen. Den sidder typisk under køkkenvasken eller ved vandmåleren.
2. Tør vandet op, og flyt møbler og tæpper væk.
3. Bor du i lejlighed, så kontakt udlejeren eller boligforeningen.
4. Tag billeder af skaden og af det, der har lækket, før noget bliver repareret eller smidt ud.

### Anmeld skaden
Anmeld vandskaden på Mine sider under **Skader > Ny skade**, eller ring til vores skadeservice, som har
åbent **døgnet rundt**. Anmeld skaden hurtigst muligt og senest inden for seks måneder.

### Hvad sker der så?
- En skadebehandler kontakter dig inden for **24 timer**.
- Om nødvendigt sender vi et saneringsfirma, der måler fugten og tørrer ud.
- Gem kvitteringer for alt, hvad du må købe på grund af skaden.

Din selvrisiko står på din police. Ved utætheder inde i vægge eller gulve kan en højere selvrisiko gælde.""",
            },
        },
    },
    # 9
    {
        "category": "insurance",
        "section": "claims",
        "visibility": "public",
        "fallback_language": "sv",
        "related": [8, 11],
        "translations": {
            "sv": {
                "title": "Vad är självrisk och hur mycket betalar jag?",
                "body": """### Vad är självrisk?
Självrisken är den del av skadekostnaden som du betalar själv. Vi drar av den från ersättningen: kostar
skadan 8 000 kr och självrisken är 1 500 kr betalar vi ut 6 500 kr.

### Våra självrisker
- **Hemförsäkring:** 1 500 kr i grundsjälvrisk. Väljer du 3 000 kr blir premien 10 % lägre.
- **Vattenskada i villa:** grundsjälvrisken plus 5 000 kr om vattnet läckt från en ledning i vägg eller
  bjälklag.
- **Reseskydd:** 0 kr för sjukvård utomlands, 1 500 kr vid stöld.
- **Bilförsäkring:** 2 000-6 000 kr beroende på försäkringsnivå och typ av skada.

### Byta självrisk
Logga in på Mina sidor, välj försäkringen och sedan **Ändra självrisk**. Den nya självrisken gäller från kl.
00.00 nästa dag, men inte för skador som redan har hänt.

Drabbas du av flera skador vid samma tillfälle, till exempel inbrott och vattenskada samtidigt, betalar du
bara den högsta självrisken.""",
            },
        },
    },
    # 10
    {
        "category": "insurance",
        "section": "travel",
        "visibility": "public",
        "fallback_language": "en",
        "related": [9],
        "translations": {
            "sv": {
                "title": "Gäller min försäkring när jag reser utomlands?",
                "body": """### Reseskyddet ingår i hemförsäkringen
Har du hemförsäkring hos oss ingår reseskydd i hela världen för resor som varar i högst **60 dagar**. Det
gäller alla som står på försäkringen. Ska du vara borta längre kan du köpa en tilläggsförsäkring för upp
till 12 månader.

### Om du blir sjuk eller skadar dig
1. Ring vår larmcentral, som har öppet dygnet runt. Numret står på ditt försäkringskort i appen.
2. Larmcentralen hänvisar dig till en lämplig klinik och kan betala vården direkt.
3. Spara alla kvitton och läkarintyg.

### Om resan ställs in eller bagaget försenas
- **Försenat bagage:** vi ersätter nödvändiga inköp om bagaget är mer än 4 timmar försenat.
- **Avbeställning:** du får tillbaka resans kostnad om du eller en nära anhörig blir akut sjuk före
  avresan.

**Tänk på:** Inom EU/EES ska du också ha med dig det europeiska sjukförsäkringskortet.""",
            },
            "en": {
                "title": "Am I covered when I travel abroad?",
                "body": """### Travel cover is included in your home insurance
If you have home insurance with us, you have worldwide travel cover for trips of up to **60 days**. It
covers everyone named on the policy. If you're going away for longer, you can buy extra cover for up to 12
months.

### If you fall ill or get injured
1. Call our emergency assistance centre, which is open 24 hours a day. The number is on your insurance card
   in the app.
2. They will refer you to a suitable clinic and can pay for your treatment directly.
3. Keep all receipts and medical certificates.

### If your trip is cancelled or your luggage is delayed
- **Delayed luggage:** we pay for essentials if your luggage is more than 4 hours late.
- **Cancellation:** you get the cost of the trip back if you or a close relative falls seriously ill before
  you leave.

**Remember:** In the EU/EEA, also bring your European Health Insurance Card (EHIC).""",
            },
            "fi": {
                "title": "Onko minulla turva, kun matkustan ulkomaille?",
                "body": """### Matkaturva sisältyy kotivakuutukseen
Jos sinulla on kotivakuutus meillä, siihen sisältyy matkaturva koko maailmassa enintään **60 päivää**
kestäville matkoille. Turva koskee kaikkia vakuutukseen merkittyjä henkilöitä. Jos olet poissa pidempään,
voit ostaa lisäturvan enintään 12 kuukaudeksi.

### Jos sairastut tai loukkaannut
1. Soita hätäpalveluumme, joka palvelee ympäri vuorokauden. Numero on sovelluksen vakuutuskortissa.
2. Hätäpalvelu ohjaa sinut sopivaan hoitopaikkaan ja voi maksaa hoidon suoraan.
3. Säilytä kaikki kuitit ja lääkärintodistukset.

### Jos matka peruuntuu tai matkatavarat myöhästyvät
- **Matkatavaroiden myöhästyminen:** korvaamme välttämättömät hankinnat, jos laukkusi myöhästyy yli 4
  tuntia.
- **Peruutus:** saat matkan hinnan takaisin, jos sinä tai läheisesi sairastuu äkillisesti ennen lähtöä.

**Muista:** EU- ja ETA-maissa ota mukaan myös eurooppalainen sairaanhoitokortti.""",
            },
            "nb": {
                "title": "Er jeg forsikret når jeg reiser til utlandet?",
                "body": """### Reiseforsikringen er inkludert i innboforsikringen
Har du innboforsikring hos oss, har du reiseforsikring i hele verden for reiser på inntil **60 dager**. Den
gjelder alle som står på forsikringen. Skal du være borte lenger, kan du kjøpe en tilleggsforsikring for
opptil 12 måneder.

### Hvis du blir syk eller skadet
1. Ring alarmsentralen vår, som er åpen hele døgnet. Nummeret står på forsikringskortet ditt i appen.
2. Alarmsentralen henviser deg til en passende klinikk og kan betale behandlingen direkte.
3. Ta vare på alle kvitteringer og legeerklæringer.

### Hvis reisen blir avlyst eller bagasjen er forsinket
- **Forsinket bagasje:** vi dekker nødvendige innkjøp hvis bagasjen er mer enn 4 timer forsinket.
- **Avbestilling:** du får tilbake det reisen kostet hvis du eller en av dine nærmeste blir akutt syk før
  avreise.

**Husk:** I EU/EØS bør du også ha med deg Europeisk helsetrygdkort.""",
            },
        },
    },
    # 11
    {
        "category": "insurance",
        "section": "claims",
        "visibility": "public",
        "fallback_language": "en",
        "related": [9],
        "translations": {
            "en": {
                "title": "My phone screen is cracked. Am I covered?",
                "body": """### Is it covered?
A cracked screen counts as sudden and accidental damage. It is covered if you have the **All-risk add-on**
to your home insurance or our separate gadget insurance, and the phone is less than 5 years old.

### How to make a claim
1. Log in to My pages and choose **Claims > New claim**.
2. Describe what happened and when, and upload a photo of the damaged screen.
3. Add the receipt or order confirmation for the phone if you have it.

You will usually get a decision within **2 working days**.

### What happens next
- We send you a prepaid envelope, or you can drop the phone off at one of our partner repair shops.
- Repairs normally take 3-5 working days.
- If the phone can't be repaired, we replace it with an equivalent model.

The deductible for a cracked screen is **SEK 1,000**. Back up your phone and turn off Find My (or Find My
Device) before you send it in.""",
            },
        },
    },
    # 12
    {
        "category": "terms",
        "section": "contracts",
        "visibility": "public",
        "fallback_language": "sv",
        "related": [3, 13],
        "translations": {
            "sv": {
                "title": "Hur säger jag upp mitt avtal?",
                "body": """### Uppsägningstid
- **Elavtal med rörligt pris:** 1 månad, utan avgift.
- **Elavtal med fast pris:** löper till slutdatum. Säger du upp det i förtid tar vi ut en avgift på 200 kr
  plus 50 kr per återstående månad, högst 800 kr.
- **Bredband:** 1 månad, när bindningstiden på 12 månader har gått ut.
- **Försäkringar:** när som helst om du flyttar, säljer det försäkrade eller byter försäkringsbolag.

### Så säger du upp
1. Logga in på Mina sidor och välj **Avtal**.
2. Välj avtalet, klicka på **Säg upp** och ange slutdatum.
3. Du får en skriftlig bekräftelse inom 2 arbetsdagar.

Byter du elleverantör sköter det nya elbolaget uppsägningen åt dig.

### Om vi har höjt priset
Vi skickar ett **prisändringsbesked** minst 30 dagar innan ett nytt pris börjar gälla. Då kan du säga upp
avtalet utan avgift, även ett fastprisavtal, fram till dagen då det nya priset gäller.""",
            },
            "en": {
                "title": "How do I cancel my contract?",
                "body": """### Notice periods
- **Variable-price electricity:** 1 month, no fee.
- **Fixed-price electricity:** runs until its end date. If you cancel early we charge SEK 200 plus SEK 50 per
  remaining month, up to SEK 800.
- **Broadband:** 1 month, once the 12-month minimum term has ended.
- **Insurance:** at any time if you move, sell what is insured or switch insurer.

### How to cancel
1. Log in to My pages and choose **Contracts**.
2. Select the contract, click **Cancel** and enter the end date.
3. You will get a written confirmation within 2 working days.

If you switch to another electricity supplier, your new supplier cancels the contract for you.

### If we have raised the price
We send a **price change notice** at least 30 days before a new price takes effect. You can then cancel
without a fee, including a fixed-price contract, up until the day the new price applies.""",
            },
        },
    },
    # 13
    {
        "category": "terms",
        "section": "complaints",
        "visibility": "public",
        "fallback_language": "sv",
        "related": [12],
        "translations": {
            "sv": {
                "title": "Hur klagar jag, och vad händer sedan?",
                "body": """### Så lämnar du ett klagomål
Är du missnöjd med oss vill vi veta det. Du kan klaga
- på Mina sidor under **Kontakta oss > Klagomål**,
- i chatten eller per telefon på vardagar kl. 8-18,
- eller med brev till vår klagomålsansvarige.

Beskriv vad som hänt och vad du vill att vi gör. Bifoga gärna fakturor, bilder eller beslut.

### Det här händer inom 24 timmar
1. Du får direkt en bekräftelse med ärendenummer via e-post eller sms.
2. Inom **24 timmar** hör en handläggare av sig och berättar att hen ansvarar för ditt ärende.
3. Handläggaren utreder och ger dig ett beslut inom **10 arbetsdagar**. Behöver vi mer tid får du veta varför.

### Om du inte är nöjd med beslutet
Du kan be vår klagomålsansvarige att pröva ärendet på nytt. Du kan också kontakta konsumentvägledningen i
din kommun eller göra en anmälan till Allmänna reklamationsnämnden (ARN).""",
            },
            "en": {
                "title": "How do I make a complaint, and what happens next?",
                "body": """### How to complain
If you're unhappy with us, we want to know. You can complain
- on My pages under **Contact us > Complaints**,
- by chat or phone on weekdays, 8 am to 6 pm,
- or by letter to our complaints manager.

Tell us what happened and what you would like us to do. Attach invoices, photos or decisions if you can.

### What happens within 24 hours
1. You immediately get a confirmation with a case number by email or text message.
2. Within **24 hours** a case handler gets in touch to let you know they are responsible for your case.
3. The case handler looks into it and gives you a decision within **10 working days**. If we need more time,
   we'll tell you why.

### If you're not satisfied with the decision
You can ask our complaints manager to review the case again. You can also contact your local consumer
advice service or take the matter to the National Board for Consumer Disputes (ARN).""",
            },
        },
    },
    # 14
    {
        "category": "terms",
        "section": "complaints",
        "visibility": "internal",
        "fallback_language": "sv",
        "related": [13],
        "translations": {
            "sv": {
                "title": "Hur ger jag en goodwillkreditering?",
                "body": """*Internt: visa inte för kunder.*

### När kan du ge goodwill?
Goodwill är en frivillig kreditering när vi har gjort fel eller kunden har haft mycket besvär, till exempel
en felaktig faktura, ett missat återkomstlöfte eller ett bredbandsavbrott längre än 48 timmar.

### Beloppsgränser
- **Agent:** upp till 500 kr per kund och ärende.
- **Teamledare:** 501-2 000 kr.
- **Över 2 000 kr:** kräver godkännande från kundservicechefen.

En kund kan få högst 3 goodwillkrediteringar under en 12-månadersperiod.

### Så gör du
1. Öppna kundens ärende och välj **Åtgärder > Goodwillkreditering**.
2. Ange belopp, vilken faktura som ska krediteras och orsakskod.
3. Skriv en kort motivering som en kollega förstår utan att läsa hela ärendet.
4. Berätta för kunden att krediteringen syns på nästa faktura.

Goodwill är aldrig ett erkännande av skadeståndsansvar. Lova inte kunden goodwill innan den är registrerad.""",
            },
            "en": {
                "title": "How do I grant a goodwill credit?",
                "body": """*Internal: do not show to customers.*

### When can you grant goodwill?
Goodwill is a voluntary credit when we have made a mistake or the customer has been put to real trouble, for
example a wrong invoice, a missed call-back promise or a broadband outage longer than 48 hours.

### Limits
- **Agent:** up to SEK 500 per customer and case.
- **Team lead:** SEK 501-2,000.
- **Over SEK 2,000:** needs approval from the head of customer service.

A customer can receive at most 3 goodwill credits in any 12-month period.

### How to do it
1. Open the customer's case and choose **Actions > Goodwill credit**.
2. Enter the amount, the invoice to credit and a reason code.
3. Write a short justification that a colleague can understand without reading the whole case.
4. Tell the customer the credit will appear on their next invoice.

Goodwill is never an admission of liability. Don't promise goodwill to the customer until it is registered.""",
            },
        },
    },
    # 15
    {
        "category": "insurance",
        "section": "claims",
        "visibility": "internal",
        "fallback_language": "sv",
        "related": [8],
        "translations": {
            "sv": {
                "title": "Hur eskalerar jag ett misstänkt bedrägeri?",
                "body": """*Internt: visa inte för kunder.*

### Varningssignaler
- Skadan anmäls inom 30 dagar efter att försäkringen tecknades.
- Kvitton eller bilder som verkar redigerade, eller samma kvitto i flera ärenden.
- Kunden pressar på för snabb utbetalning till ett konto i någon annans namn.
- Uppgifterna om vad som hänt ändras mellan samtalen.

### Så eskalerar du
1. Fortsätt handläggningen som vanligt och **säg ingenting till kunden** om misstanken.
2. Välj **Åtgärder > Eskalera till utredning** i ärendet och beskriv vad som väckt misstanken.
3. Stoppa eventuell utbetalning med markeringen **Spärrad: utredning**.
4. Utredningsenheten bekräftar inom 1 arbetsdag och tar vid behov över kontakten med kunden.

### Tänk på
Skriv bara fakta i ärendet, inga antaganden om kundens avsikter: kunden kan begära ut sina uppgifter enligt
GDPR. Vid pågående brott eller hot, ring 112.""",
            },
            "en": {
                "title": "How do I escalate a suspected fraud case?",
                "body": """*Internal: do not show to customers.*

### Warning signs
- The claim is made within 30 days of the policy being taken out.
- Receipts or photos that look edited, or the same receipt used in several claims.
- The customer pushes for a quick payout to an account in someone else's name.
- The account of what happened changes between calls.

### How to escalate
1. Carry on handling the case as usual and **say nothing to the customer** about your suspicion.
2. Choose **Actions > Escalate to investigation** in the case and describe what raised your suspicion.
3. Stop any payout with the flag **Blocked: investigation**.
4. The investigation unit confirms within 1 working day and takes over contact with the customer if needed.

### Keep in mind
Write only facts in the case, no assumptions about the customer's intentions: the customer can request their
data under the GDPR. If a crime or threat is ongoing, call 112.""",
            },
        },
    },
]
