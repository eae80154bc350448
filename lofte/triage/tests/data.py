"""A small labelled set for the tests: three case types in Swedish, Finnish and English, written for them."""

INVOICE = [
    "Hej, fakturan för november är alldeles för hög",
    "Jag har inte fått någon faktura den här månaden",
    "Kan ni skicka en kopia av fakturan till min mejl?",
    "Varför är fakturan dyrare än förra månaden?",
    "När förfaller fakturan för december?",
    "Lasku on liian suuri tässä kuussa",
    "En ole saanut laskua marraskuulta",
    "Voitteko lähettää laskun kopion sähköpostiin?",
    "Why is my invoice higher than last month?",
    "I never received the invoice for November",
    "Please send me a copy of my bill",
    "When is the due date of the December invoice?",
]
MOVING = [
    "Jag flyttar den 1 mars och vill flytta mitt abonnemang",
    "Hur ändrar jag min adress när jag flyttar?",
    "Vi har flyttat, ny adress är Storgatan 5",
    "Kan jag ta med avtalet till min nya lägenhet?",
    "Flyttanmälan: ny adress från och med april",
    "Muutan uuteen osoitteeseen ensi kuussa",
    "Miten vaihdan osoitteen muuton yhteydessä?",
    "Muutimme, uusi osoite on Kauppakatu 3",
    "I am moving house next month, can I take my subscription?",
    "How do I change my address when I move?",
    "We moved last week, here is our new address",
    "Please move my contract to my new flat from March",
]
LOGIN = [
    "Jag har glömt mitt lösenord och kan inte logga in",
    "Det går inte att logga in med BankID",
    "Mitt konto är låst efter för många försök",
    "Hur byter jag lösenord på Mina sidor?",
    "Inloggningen fungerar inte i appen",
    "Unohdin salasanani enkä pääse kirjautumaan",
    "Pankkitunnuksilla kirjautuminen ei onnistu",
    "Tilini on lukittu liian monen yrityksen jälkeen",
    "I forgot my password and cannot log in",
    "Logging in with my bank ID does not work",
    "My account is locked after too many attempts",
    "How do I reset my password in the app?",
]
LABELLED = [(t, "invoice") for t in INVOICE] + [(t, "moving") for t in MOVING] + [(t, "login") for t in LOGIN]
